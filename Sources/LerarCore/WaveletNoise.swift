import Foundation

/// Noise of an image from its finest wavelet layer, which stars, gradients and nebulae barely reach.
public enum WaveletNoise {
    /// Gaussian noise σ: first B3-spline à trous wavelet layer, 3σ-clipped to convergence, divided by the layer's
    /// response to unit white noise (0.8907) — PixInsight's "k-sigma" noise estimate.
    public static func sigma(_ samples: UnsafeBufferPointer<Float>, width: Int, height: Int) -> Double {
        guard width >= 5, height >= 5 else { return .nan }
        let kernel: [Float] = [1.0 / 16, 4.0 / 16, 6.0 / 16, 4.0 / 16, 1.0 / 16]
        var rows = [Float](repeating: 0, count: width * height)
        var layer = [Float](repeating: .nan, count: width * height)
        func clamp(_ v: Int, _ n: Int) -> Int { v < 0 ? -v : (v >= n ? 2 * n - 2 - v : v) } // mirror at the edges
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0
                for k in -2...2 { sum += kernel[k + 2] * samples[y * width + clamp(x + k, width)] }
                rows[y * width + x] = sum
            }
        }
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0
                for k in -2...2 { sum += kernel[k + 2] * rows[clamp(y + k, height) * width + x] }
                layer[y * width + x] = samples[y * width + x] - sum
            }
        }
        var sigma = layer.withUnsafeBufferPointer { RobustStatistics.compute($0).standardDeviation }
        for _ in 0..<10 {
            let limit = Float(3 * sigma)
            let kept = layer.filter { $0.isFinite && abs($0) < limit }
            guard kept.count > 16 else { break }
            let next = kept.withUnsafeBufferPointer { RobustStatistics.compute($0).standardDeviation }
            if abs(next - sigma) <= 0.01 * sigma { sigma = next; break }
            sigma = next
        }
        return sigma / 0.8907
    }


    /// The same estimate from `bands` bands of 64 rows spread over the image (a quarter of a large frame), for a
    /// per-frame figure at a fraction of the cost.
    public static func sampledSigma(_ samples: UnsafeBufferPointer<Float>, width: Int, height: Int, bands: Int = 8) -> Double {
        let bandHeight = 64
        guard height > bands * bandHeight * 2 else { return sigma(samples, width: width, height: height) }
        var rows: [Float] = []
        rows.reserveCapacity(bands * bandHeight * width)
        for band in 0..<bands {
            let y0 = (band * height) / bands + (height / bands - bandHeight) / 2
            rows.append(contentsOf: samples[(y0 * width)..<((y0 + bandHeight) * width)])
        }
        // Bands are stacked one under the other; the seams add a few rows of wrong layer values, clipped as outliers.
        return rows.withUnsafeBufferPointer { sigma($0, width: width, height: bands * bandHeight) }
    }
}
