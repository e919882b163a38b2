import LerarCore

/// The large-scale residual of the à trous (starlet) transform with the 3×3 linear scaling function
/// (1 2 1)ᵀ(1 2 1)/16: convolving `layers` times with the kernel dilated 2^j leaves the image without its first
/// `layers` wavelet layers (shared/reference/postprocessing.md §3).
public enum ATrousSmoothing {
    /// `plane` (width × height) without its `layers` smallest scales, starting at layer `firstLayer` (the kernel
    /// dilated 2^firstLayer); borders mirror, NaN samples are skipped.
    public static func residual(_ plane: [Float], width: Int, height: Int, layers: Int, firstLayer: Int = 0) -> [Float] {
        var current = plane
        var scratch = [Float](repeating: 0, count: plane.count)
        for layer in firstLayer..<(firstLayer + max(0, layers)) {
            let step = 1 << layer
            pass(current, into: &scratch, width: width, height: height, step: step, horizontal: true)
            pass(scratch, into: &current, width: width, height: height, step: step, horizontal: false)
        }
        return current
    }

    /// One separable (1 2 1)/4 pass at distance `step`, mirrored at the edges.
    static func pass(_ input: [Float], into output: inout [Float], width: Int, height: Int, step: Int, horizontal: Bool) {
        output.withUnsafeMutableBufferPointer { out in
            let shared = UnsafeSendable(out)
            input.withUnsafeBufferPointer { source in
                let src = UnsafeSendable(source)
                Parallel.forEachChunk(count: height, minimumChunkSize: 8) { rows in
                    for y in rows {
                        for x in 0..<width {
                            let i = y * width + x
                            let (a, b): (Int, Int)
                            if horizontal {
                                a = y * width + mirror(x - step, width)
                                b = y * width + mirror(x + step, width)
                            } else {
                                a = mirror(y - step, height) * width + x
                                b = mirror(y + step, height) * width + x
                            }
                            let c = src.value[i], l = src.value[a], r = src.value[b]
                            var sum: Float = 0, weight: Float = 0
                            if c.isFinite { sum += 2 * c; weight += 2 }
                            if l.isFinite { sum += l; weight += 1 }
                            if r.isFinite { sum += r; weight += 1 }
                            shared.value[i] = c.isFinite && weight > 0 ? sum / weight : c
                        }
                    }
                }
            }
        }
    }

    /// Index reflected into 0..<n.
    static func mirror(_ i: Int, _ n: Int) -> Int {
        guard n > 1 else { return 0 }
        var j = i
        while j < 0 || j >= n { j = j < 0 ? -j : 2 * (n - 1) - j }
        return j
    }
}
