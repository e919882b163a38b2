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
        var sigma = standardDeviation(layer, below: .infinity)?.sigma ?? .nan
        for _ in 0..<10 {
            guard let (next, kept) = standardDeviation(layer, below: Float(3 * sigma)), kept > 16 else { break }
            if abs(next - sigma) <= 0.01 * sigma { sigma = next; break }
            sigma = next
        }
        return sigma / 0.8907
    }


    /// Sample standard deviation of the finite values with |v| < `limit`, in one pass (no copies); nil when fewer
    /// than two.
    static func standardDeviation(_ values: [Float], below limit: Float) -> (sigma: Double, count: Int)? {
        var count = 0, sum = 0.0, sumOfSquares = 0.0
        for v in values where v.isFinite && abs(v) < limit {
            count += 1
            sum += Double(v)
            sumOfSquares += Double(v) * Double(v)
        }
        guard count > 1 else { return nil }
        let mean = sum / Double(count)
        return ((max(0, (sumOfSquares - sum * mean) / Double(count - 1))).squareRoot(), count)
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
