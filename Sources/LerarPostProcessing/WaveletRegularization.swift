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

    /// Buffers of one plane's size, kept across iterations so the loop does not allocate.
    struct Workspace {
        var current: [Float], next: [Float], scratch: [Float]
        init(count: Int) {
            current = [Float](repeating: 0, count: count)
            next = current; scratch = current
        }
    }

    /// `plane` with each layer's non-significant coefficients attenuated, in place, with the caller's buffers;
    /// `sigma` is the plane's noise, image units.
    static func regularize(_ plane: inout [Float], width: Int, height: Int, sigma: Double, rules: [WaveletLayerRule], workspace w: inout Workspace) {
        guard !rules.isEmpty, sigma > 0 else { return }
        let count = plane.count
        // `plane` is copied into the transform and then gathers the kept coefficients: no output plane of its own.
        w.current.withUnsafeMutableBufferPointer { c in plane.withUnsafeBufferPointer { _ = c.update(fromContentsOf: $0) } }
        for i in 0..<count { plane[i] = 0 }
        for (layer, rule) in rules.prefix(layerNoise.count).enumerated() {
            ATrousSmoothing.smooth(w.current, into: &w.next, scratch: &w.scratch, width: width, height: height, step: 1 << layer)
            let limit = Float(rule.threshold * sigma * layerNoise[layer]), keep = Float(1 - rule.reduction)
            plane.withUnsafeMutableBufferPointer { out in
                let shared = UnsafeSendable(out)
                w.current.withUnsafeBufferPointer { c in
                    w.next.withUnsafeBufferPointer { n in
                        let cs = UnsafeSendable(c), ns = UnsafeSendable(n)
                        Parallel.forEachChunk(count: count) { range in
                            for i in range {
                                let coefficient = cs.value[i] - ns.value[i]
                                shared.value[i] += abs(coefficient) >= limit ? coefficient : coefficient * keep
                            }
                        }
                    }
                }
            }
            swap(&w.current, &w.next)
        }
        for i in 0..<count { plane[i] += w.current[i] }
    }
}
