import Foundation
import LerarCore
import LerarRegistration

/// Settings of the colour calibration; each default is declared here once.
public struct ColorCalibrationParameters: Sendable, Equatable, Codable {
    /// Stars whose peak reaches this value in any channel are left out (clipped colour); default 0.9,
    /// PixInsight ColorCalibration's whiteHigh (shared/reference/postprocessing.md §5).
    public var saturation: Double = 0.9
    /// Detection threshold for white-reference stars, background σ; default 20, so each star's colour is measured
    /// to a few per cent.
    public var detectionSigma: Double = 20
    /// Most stars measured, brightest unsaturated first; default 300.
    public var maximumStars: Int = 300
    /// Aperture radius in FWHM of the star; default 2 (≥ 98 % of a Moffat β ≈ 4 star's flux, and the same fraction
    /// in every channel, which is what a ratio needs).
    public var apertureFWHM: Double = 2
    /// Where the sky is measured (its levels are kept fixed by the calibration).
    public var background = BackgroundReferenceParameters()

    public init(saturation: Double = 0.9, detectionSigma: Double = 20, maximumStars: Int = 300, apertureFWHM: Double = 2,
                background: BackgroundReferenceParameters = .init()) {
        self.saturation = saturation
        self.detectionSigma = detectionSigma
        self.maximumStars = maximumStars
        self.apertureFWHM = apertureFWHM
        self.background = background
    }
}

/// The calibrated image, the white reference and the factors applied.
public struct ColorCalibrationResult: Sendable {
    public var image: Image
    /// Per-channel factors k_c (the strongest channel's is 1).
    public var factors: [Double]
    /// The white reference: the median star's flux in each channel relative to the mean of the three.
    public var white: [Double]
    public var starsUsed: Int
    public var background: BackgroundReference
}

/// White balance with the average star as white (a documented choice: with no catalogue, the median colour of many
/// field stars is close to a G2 star, which is what "white" means in PixInsight's and Siril's photometric tools):
/// aperture photometry of unsaturated stars in each channel; x′ = (x − B_c)·k_c + B_c with k_c = W_max / W_c.
public enum ColorCalibration {
    public static func apply(to image: Image, parameters: ColorCalibrationParameters = .init()) throws -> ColorCalibrationResult {
        guard image.channelCount == 3 else { throw PostProcessingError.invalidInput("colour calibration needs a colour image, got \(image.channelCount) channel(s)") }
        let background = try BackgroundReference.measure(image, parameters: parameters.background)
        let photometry = StarColorPhotometry.measure(image, parameters: parameters)
        guard photometry.count >= 5 else {
            throw PostProcessingError.insufficientData("colour calibration: \(photometry.count) unsaturated stars above \(parameters.detectionSigma) σ; at least 5 are needed")
        }
        // The median of each channel's share of the star's flux: robust against a few odd (variable, blended) stars.
        var white = (0..<3).map { c in BackgroundGrid.median(photometry.map { $0[c] / ($0[0] + $0[1] + $0[2]) * 3 }) }
        let strongest = white.max() ?? 1
        let factors = white.map { strongest / $0 }
        var output = image
        for channel in 0..<3 {
            let k = Float(factors[channel]), b = Float(background.levels[channel])
            output.withMutableChannel(channel) { plane in
                let shared = UnsafeSendable(plane)
                Parallel.forEachChunk(count: plane.count) { range in
                    for i in range { shared.value[i] = (shared.value[i] - b) * k + b }
                }
            }
        }
        white = white.map { $0 / strongest }
        return ColorCalibrationResult(image: output, factors: factors, white: white, starsUsed: photometry.count, background: background)
    }
}

/// Background-subtracted aperture fluxes of bright unsaturated isolated stars, per channel.
public enum StarColorPhotometry {
    /// One [R, G, B] flux triple per usable star.
    public static func measure(_ image: Image, parameters: ColorCalibrationParameters) -> [[Double]] {
        let width = image.width, height = image.height
        let luminance = image.channelMean()
        var stars = StarSurvey(plane: luminance, width: width, height: height, cellSize: 64).stars(threshold: parameters.detectionSigma)
        stars.sort { $0.flux > $1.flux }
        let planes = (0..<3).map { c in image.withChannel(c) { Array($0) } }
        var result: [[Double]] = []
        for (index, star) in stars.enumerated() where result.count < parameters.maximumStars {
            let radius = max(2.0, parameters.apertureFWHM * star.fwhm)
            // Isolated: no other detection within two apertures.
            let crowded = stars.indices.contains { $0 != index && hypot(stars[$0].x - star.x, stars[$0].y - star.y) < 2 * radius }
            if crowded { continue }
            if let fluxes = aperture(planes, width: width, height: height, x: star.x, y: star.y, radius: radius, saturation: parameters.saturation),
               fluxes.allSatisfy({ $0 > 0 }) {
                result.append(fluxes)
            }
        }
        return result
    }

    /// Fluxes inside `radius` minus the median of the annulus from 1.5 to 2.5 radii, per channel; nil near edges,
    /// on missing data or when a sample reaches `saturation`.
    public static func aperture(_ planes: [[Float]], width: Int, height: Int, x: Double, y: Double, radius: Double, saturation: Double) -> [Double]? {
        let outer = 2.5 * radius, inner = 1.5 * radius
        let x0 = Int((x - outer).rounded(.down)), x1 = Int((x + outer).rounded(.up))
        let y0 = Int((y - outer).rounded(.down)), y1 = Int((y + outer).rounded(.up))
        guard x0 >= 0, y0 >= 0, x1 < width, y1 < height else { return nil }
        var fluxes: [Double] = []
        for plane in planes {
            var sum = 0.0, count = 0
            var annulus: [Double] = []
            for py in y0...y1 {
                for px in x0...x1 {
                    let v = Double(plane[py * width + px])
                    guard v.isFinite else { return nil }
                    let d = hypot(Double(px) - x, Double(py) - y)
                    if d <= radius {
                        if v >= saturation { return nil }
                        sum += v; count += 1
                    } else if d >= inner && d <= outer {
                        annulus.append(v)
                    }
                }
            }
            guard annulus.count >= 8 else { return nil }
            fluxes.append(sum - Double(count) * BackgroundGrid.median(annulus))
        }
        return fluxes
    }
}
