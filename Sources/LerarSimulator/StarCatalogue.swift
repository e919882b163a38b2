import Foundation
import LerarCore

/// Stars in sky coordinates (px of the session's plate scale; panel 1's reference frame has its origin at (0, 0)).
public struct StarCatalogue: Sendable {
    public struct Star: Sendable, Codable {
        public var x: Double, y: Double
        /// Photon rate through the L filter, e-/s.
        public var rate: Double
        /// Fractions of the L rate in R, G, B (sum 1), from the colour index.
        public var red: Double, green: Double, blue: Double
        /// B−V colour index (0.1 white-blue … 1.3 orange).
        public var colorIndex: Double = 0.65
    }

    public let stars: [Star]

    /// Stars over `bounds` (minX, minY, maxX, maxY) with `density` per megapixel and N(>F) ∝ F^−slope.
    public init(bounds: (Double, Double, Double, Double), configuration c: SessionConfiguration) {
        var random = SeededRandom(seed: c.seed, stream: 3)
        let area = (bounds.2 - bounds.0) * (bounds.3 - bounds.1)
        let count = max(1, Int(c.starDensity * area / 1e6))
        let faintest = c.brightestStarRate * pow(1 / Double(count), 1 / c.fluxSlope)
        stars = (0..<count).map { _ in
            let rate = min(c.brightestStarRate, faintest * pow(max(random.uniform(), 1e-12), -1 / c.fluxSlope))
            // Field stars' B−V spans about 0.1 (white-blue) to 1.3 (orange); the second draw keeps the stream as before.
            let colorIndex = random.uniform(in: 0.1...1.3)
            _ = random.uniform()
            let f = StarColor.rgbFractions(colorIndex: colorIndex)
            return Star(x: random.uniform(in: bounds.0...bounds.2), y: random.uniform(in: bounds.1...bounds.3),
                        rate: rate, red: f[0], green: f[1], blue: f[2], colorIndex: colorIndex)
        }
    }

    /// The sky's light-pollution gradient in `filter` relative to its own level: greener than the sky it rises from.
    public static func gradientTint(filter: String) -> Double {
        switch filter.uppercased() {
        case "R", "RED": StarColor.gradientTintRGB[0]
        case "G", "GREEN": StarColor.gradientTintRGB[1]
        case "B", "BLUE": StarColor.gradientTintRGB[2]
        default: 1
        }
    }

    /// Rate fraction of L seen through `filter` (broadband RGB by colour, narrowband a small part, L all of it).
    public static func fraction(of star: Star, filter: String) -> Double {
        switch filter.uppercased() {
        case "R", "RED": star.red
        case "G", "GREEN": star.green
        case "B", "BLUE": star.blue
        case "HA", "OIII", "SII", "O3", "S2", "H": 0.04
        default: 1
        }
    }

    /// Sky background fraction of L through `filter` (light pollution is green-tinted: `StarColor.skyRGB`).
    public static func skyFraction(filter: String) -> Double {
        switch filter.uppercased() {
        case "R", "RED": StarColor.skyRGB[0]
        case "G", "GREEN": StarColor.skyRGB[1]
        case "B", "BLUE": StarColor.skyRGB[2]
        case "HA", "OIII", "SII", "O3", "S2", "H": 0.03
        default: 1
        }
    }
}

/// A circular Moffat profile, I(r) = F·(β−1)/(π α²)·(1 + r²/α²)^−β, FWHM = 2α·√(2^(1/β) − 1).
public struct MoffatPSF: Sendable {
    public let fwhm: Double, beta: Double
    public let alpha: Double

    public init(fwhm: Double, beta: Double) {
        self.fwhm = fwhm
        self.beta = beta
        alpha = fwhm / (2 * (pow(2, 1 / beta) - 1).squareRoot())
    }

    /// Adds a star of total `flux` centred at (`x`, `y`) to `plane` (row-major, `width`×`height`); pixels near the
    /// core are integrated by 3×3 sub-sampling (7×7 for undersampled stars, FWHM < 2 px) so the centroid and flux are
    /// right to well under 0.01 px.
    public func render(flux: Double, x: Double, y: Double, into plane: inout [Float], width: Int, height: Int, scale: [Float]? = nil) {
        let norm = flux * (beta - 1) / (.pi * alpha * alpha)
        // Out to where the profile drops below 0.02 e-, at least 3 FWHM, at most 80 px.
        let reachRadius = alpha * (pow(max(norm / 0.02, 1), 1 / beta) - 1).squareRoot()
        let reach = Int(min(80, max(3 * fwhm, reachRadius)).rounded(.up))
        let x0 = max(0, Int(x) - reach), x1 = min(width - 1, Int(x) + reach)
        let y0 = max(0, Int(y) - reach), y1 = min(height - 1, Int(y) + reach)
        guard x0 <= x1, y0 <= y1 else { return }
        let inverseAlpha2 = 1 / (alpha * alpha), core = max(2 * fwhm, 3)
        let steps = fwhm < 2 ? 3 : 1, samples = Double((2 * steps + 1) * (2 * steps + 1))
        for py in y0...y1 {
            for px in x0...x1 {
                let dx = Double(px) - x, dy = Double(py) - y
                var value: Double
                if abs(dx) < core && abs(dy) < core {
                    value = 0
                    for sy in -steps...steps { for sx in -steps...steps {
                        let ux = dx + Double(sx) / Double(2 * steps + 1), uy = dy + Double(sy) / Double(2 * steps + 1)
                        value += pow(1 + (ux * ux + uy * uy) * inverseAlpha2, -beta)
                    } }
                    value /= samples
                } else {
                    value = pow(1 + (dx * dx + dy * dy) * inverseAlpha2, -beta)
                }
                let index = py * width + px
                plane[index] += Float(norm * value) * (scale?[index] ?? 1)
            }
        }
    }
}
