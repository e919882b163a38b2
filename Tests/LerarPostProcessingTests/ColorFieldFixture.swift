import Foundation
import LerarCore

/// A linear RGB field with known truth, generated in code: stars with colour indices, a camera whose channels have
/// different gains, a green-tinted light-pollution gradient, a pink extended object and Gaussian noise.
struct ColorFieldFixture {
    struct Star { var x: Double, y: Double, flux: Double, colorIndex: Double }

    let width: Int, height: Int
    /// Camera response per channel (what colour calibration has to undo).
    let gains: [Double] = [0.8, 1.25, 0.7]
    /// Sky at the left edge per channel, and its rise across the field (green-tinted light pollution).
    let sky: [Double] = [0.020, 0.030, 0.018], skyRise: [Double] = [0.002, 0.004, 0.001]
    /// The object's colour before the camera gains (pink), its amplitude and Gaussian σ, px.
    let objectColor: [Double] = [1.0, 0.55, 0.85], objectAmplitude = 0.012, objectSigma = 22.0
    let noise = 0.0004
    let psfSigma = 1.6
    let stars: [Star]
    /// Masters as a camera would give them (gains, sky, noise).
    let red: Image, green: Image, blue: Image

    /// The star's flux ratio to green before the gains: R = 1 + t, G = 1, B = 1 − t for colour index t.
    static func colorRatios(_ t: Double) -> [Double] { [1 + t, 1, 1 - t] }

    init(width: Int = 256, height: Int = 256, starCount: Int = 140, seed: UInt64 = 7) {
        self.width = width
        self.height = height
        var random = SeededRandom(seed: seed)
        var stars: [Star] = []
        // Stars in pairs of opposite colour index and equal flux: the average star is exactly white, as a
        // calibration with the average star as white assumes.
        for _ in 0..<(starCount / 2) {
            let flux = 0.05 * pow(10, random.uniform() * 1.6), index = (random.uniform() - 0.5) * 0.6
            for sign in [1.0, -1.0] {
                stars.append(Star(x: 8 + random.uniform() * Double(width - 16), y: 8 + random.uniform() * Double(height - 16),
                                  flux: flux, colorIndex: sign * index))
            }
        }
        self.stars = stars
        var planes: [[Float]] = []
        for channel in 0..<3 {
            var plane = [Float](repeating: 0, count: width * height)
            for y in 0..<height {
                for x in 0..<width {
                    var v = sky[channel] + skyRise[channel] * Double(x) / Double(width)
                    let dx = Double(x) - Double(width) / 2, dy = Double(y) - Double(height) / 2
                    v += gains[channel] * objectColor[channel] * objectAmplitude * exp(-(dx * dx + dy * dy) / (2 * objectSigma * objectSigma))
                    plane[y * width + x] = Float(v + noise * random.gaussian())
                }
            }
            let twoSigma2 = 2 * psfSigma * psfSigma
            for star in stars {
                let flux = gains[channel] * star.flux * Self.colorRatios(star.colorIndex)[channel]
                let peak = flux / (.pi * twoSigma2)
                for y in max(0, Int(star.y) - 8)...min(height - 1, Int(star.y) + 8) {
                    for x in max(0, Int(star.x) - 8)...min(width - 1, Int(star.x) + 8) {
                        let r2 = pow(Double(x) - star.x, 2) + pow(Double(y) - star.y, 2)
                        plane[y * width + x] += Float(peak * exp(-r2 / twoSigma2))
                    }
                }
            }
            planes.append(plane)
        }
        red = Image(width: width, height: height, samples: planes[0])
        green = Image(width: width, height: height, samples: planes[1])
        blue = Image(width: width, height: height, samples: planes[2])
    }

    /// The three masters as one RGB image.
    var rgb: Image {
        Image(width: width, height: height, colorSpace: .rgb, samples: red.samples + green.samples + blue.samples)
    }

    /// A rectangle of sky far from the object, px.
    var skyCorner: (x: Int, y: Int, width: Int, height: Int) { (4, 4, width / 5, height / 5) }
}
