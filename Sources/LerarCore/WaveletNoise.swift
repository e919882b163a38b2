import Foundation

/// Noise of an image from its finest wavelet layer, which stars, gradients and nebulae barely reach.
public enum WaveletNoise {
    /// Gaussian noise σ: first B3-spline à trous wavelet layer, 3σ-clipped to convergence, divided by the layer's
    /// response to unit white noise (0.8907) — PixInsight's "k-sigma" noise estimate.
    public static func sigma(_ samples: UnsafeBufferPointer<Float>, width: Int, height: Int) -> Double {
        sigma(samples, width: width, height: height) { $0 * width }
    }

    /// The estimate over `height` rows of `width` samples, row `y` starting at `rowStart(y)` in `samples`.
    /// The first layer is made with five smoothed rows in a ring, not a smoothed copy of the image: the peak memory
    /// of a call is the layer alone (two images before), bit for bit the same values. Bands of rows are made in
    /// parallel, each with a ring of its own started two rows above it: a registered frame's noise was made on its
    /// frame's thread alone (stop 34).
    static func sigma(_ samples: UnsafeBufferPointer<Float>, width: Int, height: Int, rowStart: (Int) -> Int) -> Double {
        guard width >= 5, height >= 5 else { return .nan }
        var layer = [Float](repeating: .nan, count: width * height)
        let starts = (0..<height).map(rowStart)
        layer.withUnsafeMutableBufferPointer { layer in
            let shared = UnsafeSendable((samples, layer))
            Parallel.forEachChunk(count: height, minimumChunkSize: 32) { rows in
                firstLayer(shared.value.0, width: width, height: height, starts: starts, rows: rows, into: shared.value.1)
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

    /// The first wavelet layer (the image minus its B3-spline smoothing, mirrored at the edges) of `rows`.
    /// Each row needs the smoothed rows two above to two below it, always five consecutive rows or fewer: each row
    /// from two above the band on is smoothed once, in order, into slot r % 5 of a ring.
    static func firstLayer(_ samples: UnsafeBufferPointer<Float>, width: Int, height: Int, starts: [Int], rows: Range<Int>,
                           into layer: UnsafeMutableBufferPointer<Float>) {
        let weights: [Float] = [1.0 / 16, 4.0 / 16, 6.0 / 16, 4.0 / 16, 1.0 / 16]
        func clamp(_ v: Int, _ n: Int) -> Int { v < 0 ? -v : (v >= n ? 2 * n - 2 - v : v) } // mirror at the edges
        var ring = [Float](repeating: 0, count: 5 * width)
        var smoothedRows = max(0, rows.lowerBound - 2)
        for y in rows {
            while smoothedRows <= min(height - 1, y + 2) {
                let source = starts[smoothedRows], slot = (smoothedRows % 5) * width
                for x in 0..<width {
                    var sum: Float = 0
                    for k in -2...2 { sum += weights[k + 2] * samples[source + clamp(x + k, width)] }
                    ring[slot + x] = sum
                }
                smoothedRows += 1
            }
            let source = starts[y], slots = (-2...2).map { (clamp(y + $0, height) % 5) * width }
            for x in 0..<width {
                var sum: Float = 0
                for k in 0..<5 { sum += weights[k] * ring[slots[k] + x] }
                layer[y * width + x] = samples[source + x] - sum
            }
        }
    }

    /// Sample standard deviation of the finite values with |v| < `limit`, in one pass (no copies); nil when fewer
    /// than two. Summed in fixed blocks of `reductionBlock` values in parallel, the blocks' sums then added in order:
    /// the same result on any number of cores (the clipping passes were half of a registered frame's noise estimate,
    /// on its frame's thread alone; stop 34).
    static func standardDeviation(_ values: [Float], below limit: Float) -> (sigma: Double, count: Int)? {
        let blocks = (values.count + reductionBlock - 1) / reductionBlock
        let sums = values.withUnsafeBufferPointer { values in
            let shared = UnsafeSendable(values)
            return Parallel.mapChunks(count: blocks, minimumChunkSize: 1) { blockRange -> [(count: Int, sum: Double, squares: Double)] in
                blockRange.map { block in
                    var count = 0, sum = 0.0, sumOfSquares = 0.0
                    for v in shared.value[(block * reductionBlock)..<min(shared.value.count, (block + 1) * reductionBlock)] where v.isFinite && abs(v) < limit {
                        count += 1
                        sum += Double(v)
                        sumOfSquares += Double(v) * Double(v)
                    }
                    return (count, sum, sumOfSquares)
                }
            }
        }
        var count = 0, sum = 0.0, sumOfSquares = 0.0
        for block in sums.joined() {
            count += block.count
            sum += block.sum
            sumOfSquares += block.squares
        }
        guard count > 1 else { return nil }
        let mean = sum / Double(count)
        return ((max(0, (sumOfSquares - sum * mean) / Double(count - 1))).squareRoot(), count)
    }

    /// Values summed in order per block of `standardDeviation` (fixed, so its result does not depend on the cores).
    static let reductionBlock = 1 << 16

    /// The same estimate from `bands` bands of 64 rows spread over the image (a quarter of a large frame), for a
    /// per-frame figure at a fraction of the cost.
    public static func sampledSigma(_ samples: UnsafeBufferPointer<Float>, width: Int, height: Int, bands: Int = 8) -> Double {
        let bandHeight = 64
        guard height > bands * bandHeight * 2 else { return sigma(samples, width: width, height: height) }
        let firstRows = (0..<bands).map { band in (band * height) / bands + (height / bands - bandHeight) / 2 }
        // Bands are read one under the other in place (no copy); the seams add a few rows of wrong layer values,
        // clipped as outliers.
        return sigma(samples, width: width, height: bands * bandHeight) { (firstRows[$0 / bandHeight] + $0 % bandHeight) * width }
    }
}
