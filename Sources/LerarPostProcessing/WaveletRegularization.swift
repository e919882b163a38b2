import Foundation
import LerarCore

/// One wavelet layer's rule: coefficients below `threshold` × the layer's noise σ are multiplied by 1 − `reduction`.
public struct WaveletLayerRule: Sendable, Equatable, Codable {
    public var threshold: Double, reduction: Double
    public init(threshold: Double, reduction: Double) { self.threshold = threshold; self.reduction = reduction }
}

/// Starck–Murtagh regularisation: a plane's non-significant wavelet coefficients (the 3×3 linear à trous transform)
/// are attenuated, so the deconvolution follows structure and not noise.
enum WaveletRegularization {
    /// Noise σ of each layer for unit white noise: the norm of the layer's filter, from the transform of a delta.
    static let layerNoise: [Double] = {
        let side = 129, centre = 64
        var delta = [Float](repeating: 0, count: side * side)
        delta[centre * side + centre] = 1
        var factors: [Double] = []
        var current = delta
        for layer in 0..<6 {
            let next = ATrousSmoothing.residual(current, width: side, height: side, layers: 1, firstLayer: layer)
            factors.append(zip(current, next).reduce(0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }.squareRoot())
            current = next
        }
        return factors
    }()

    /// `plane` with each layer's non-significant coefficients attenuated; `sigma` is the plane's noise, image units.
    static func regularize(_ plane: [Float], width: Int, height: Int, sigma: Double, rules: [WaveletLayerRule]) -> [Float] {
        guard !rules.isEmpty, sigma > 0 else { return plane }
        var output = [Float](repeating: 0, count: plane.count)
        var current = plane
        for (layer, rule) in rules.prefix(layerNoise.count).enumerated() {
            let next = ATrousSmoothing.residual(current, width: width, height: height, layers: 1, firstLayer: layer)
            let limit = Float(rule.threshold * sigma * layerNoise[layer]), keep = Float(1 - rule.reduction)
            output.withUnsafeMutableBufferPointer { out in
                let shared = UnsafeSendable(out)
                current.withUnsafeBufferPointer { c in
                    next.withUnsafeBufferPointer { n in
                        let cs = UnsafeSendable(c), ns = UnsafeSendable(n)
                        Parallel.forEachChunk(count: plane.count) { range in
                            for i in range {
                                let w = cs.value[i] - ns.value[i]
                                shared.value[i] += abs(w) >= limit ? w : w * keep
                            }
                        }
                    }
                }
            }
            current = next
        }
        for i in 0..<output.count { output[i] += current[i] }
        return output
    }
}
