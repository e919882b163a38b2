import Foundation
import LerarCore

/// LinearFit, the legacy global normalization (shared/reference/local-normalization.md §9): per channel,
/// target' = a + b·target with a, b minimising the mean absolute deviation from the reference over the pixel pairs
/// where both lie inside (rejectLow, rejectHigh) = (0, 0.92) as PixInsight. One line per channel: it cannot remove a
/// gradient that differs between frames.
public enum LinearFitNormalizer {
    public struct Parameters: Sendable, Codable, Equatable {
        public var rejectLow: Float = 0, rejectHigh: Float = 0.92
        public init() {}
    }

    public struct Fit: Sendable, Codable, Equatable {
        public var offset: Double, slope: Double
        /// Mean absolute deviation of the fit, image units.
        public var meanAbsoluteDeviation: Double
        public var pairs: Int
    }

    /// One fit per channel; `target` and `reference` of the same geometry.
    public static func fit(target: Image, reference: Image, parameters: Parameters = Parameters(), path: String) throws -> [Fit] {
        guard target.width == reference.width, target.height == reference.height, target.channelCount == reference.channelCount else {
            throw NormalizationError.geometryMismatch(path: path, detail: "\(target.width)×\(target.height), reference \(reference.width)×\(reference.height)")
        }
        return try (0..<target.channelCount).map { channel in
            var xs: [Double] = [], ys: [Double] = []
            target.withChannel(channel) { t in
                reference.withChannel(channel) { r in
                    // At most ~500k pairs: more does not change a two-parameter fit.
                    let step = max(1, t.count / 500_000)
                    for i in stride(from: 0, to: t.count, by: step) {
                        let x = t[i], y = r[i]
                        guard x > parameters.rejectLow, x < parameters.rejectHigh, y > parameters.rejectLow, y < parameters.rejectHigh else { continue }
                        xs.append(Double(x)); ys.append(Double(y))
                    }
                }
            }
            guard xs.count >= 3, let fit = leastAbsoluteDeviation(xs, ys) else {
                throw NormalizationError.insufficientData(path: path, detail: "fewer than 3 pixel pairs inside (\(parameters.rejectLow), \(parameters.rejectHigh)) in channel \(channel)")
            }
            return fit
        }
    }

    /// y ≈ a + b·x minimising Σ|y − a − b·x|, by iteratively reweighted least squares (weights 1/max(|r|, ε)).
    static func leastAbsoluteDeviation(_ x: [Double], _ y: [Double]) -> Fit? {
        var weights = [Double](repeating: 1, count: x.count)
        var a = 0.0, b = 1.0
        for _ in 0..<30 {
            var s = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
            for i in x.indices {
                let w = weights[i]
                s += w; sx += w * x[i]; sy += w * y[i]; sxx += w * x[i] * x[i]; sxy += w * x[i] * y[i]
            }
            let determinant = s * sxx - sx * sx
            guard determinant != 0 else { return nil }
            let nb = (s * sxy - sx * sy) / determinant, na = (sy - nb * sx) / s
            let converged = abs(nb - b) < 1e-9 * max(1, abs(b)) && abs(na - a) < 1e-12
            (a, b) = (na, nb)
            if converged { break }
            let scale = max(1e-12, x.indices.reduce(0) { $0 + abs(y[$1] - a - b * x[$1]) } / Double(x.count)) * 1e-3
            for i in x.indices { weights[i] = 1 / max(abs(y[i] - a - b * x[i]), scale) }
        }
        guard a.isFinite, b.isFinite else { return nil }
        let deviation = x.indices.reduce(0) { $0 + abs(y[$1] - a - b * x[$1]) } / Double(x.count)
        return Fit(offset: a, slope: b, meanAbsoluteDeviation: deviation, pairs: x.count)
    }

    /// a + b·value on every pixel with data; NaN stays NaN.
    public static func apply(_ fits: [Fit], to image: Image) -> Image {
        var output = image
        for (channel, fit) in fits.enumerated() {
            output.withMutableChannel(channel) { plane in
                let (a, b) = (Float(fit.offset), Float(fit.slope))
                for i in 0..<plane.count where plane[i].isFinite { plane[i] = a + b * plane[i] }
            }
        }
        output.sourceSampleFormat = .float32
        return output
    }
}
