import LerarCore

/// The large-scale residual of the à trous (starlet) transform with the 3×3 linear scaling function
/// (1 2 1)ᵀ(1 2 1)/16: convolving `layers` times with the kernel dilated 2^j leaves the image without its first
/// `layers` wavelet layers (shared/reference/postprocessing.md §3).
public enum ATrousSmoothing {
    /// `plane` (width × height) without its `layers` smallest scales, starting at layer `firstLayer` (the kernel
    /// dilated 2^firstLayer); borders mirror, NaN samples are skipped.
    public static func residual(_ plane: [Float], width: Int, height: Int, layers: Int, firstLayer: Int = 0) -> [Float] {
        var current = plane
        var next = [Float](repeating: 0, count: plane.count), scratch = next
        for layer in firstLayer..<(firstLayer + max(0, layers)) {
            smooth(current, into: &next, scratch: &scratch, width: width, height: height, step: 1 << layer)
            swap(&current, &next)
        }
        return current
    }

    /// `output` = `input` convolved once with the kernel dilated to `step` (both passes); `scratch` holds the first
    /// pass. Buffers are the plane's size and reused by callers that loop.
    static func smooth(_ input: [Float], into output: inout [Float], scratch: inout [Float], width: Int, height: Int, step: Int) {
        pass(input, into: &scratch, width: width, height: height, step: step, horizontal: true)
        pass(scratch, into: &output, width: width, height: height, step: step, horizontal: false)
    }

    /// One separable (1 2 1)/4 pass at distance `step`, mirrored at the edges; a NaN neighbour is left out of the
    /// weights and a NaN sample stays NaN.
    static func pass(_ input: [Float], into output: inout [Float], width: Int, height: Int, step: Int, horizontal: Bool) {
        output.withUnsafeMutableBufferPointer { out in
            let shared = UnsafeSendable(out)
            input.withUnsafeBufferPointer { source in
                let src = UnsafeSendable(source)
                Parallel.forEachChunk(count: height, minimumChunkSize: 8) { rows in
                    let s = src.value, o = shared.value
                    for y in rows {
                        let row = y * width
                        if horizontal {
                            // Interior without index mirroring; the sum of finite samples is finite (the fast path).
                            let inner = step < width ? step..<max(step, width - step) : 0..<0
                            for x in inner {
                                let sum = s[row + x - step] + 2 * s[row + x] + s[row + x + step]
                                o[row + x] = sum.isFinite ? 0.25 * sum : careful(s[row + x], s[row + x - step], s[row + x + step])
                            }
                            for x in 0..<width where !inner.contains(x) {
                                o[row + x] = careful(s[row + x], s[row + mirror(x - step, width)], s[row + mirror(x + step, width)])
                            }
                        } else {
                            let above = mirror(y - step, height) * width, below = mirror(y + step, height) * width
                            for x in 0..<width {
                                let sum = s[above + x] + 2 * s[row + x] + s[below + x]
                                o[row + x] = sum.isFinite ? 0.25 * sum : careful(s[row + x], s[above + x], s[below + x])
                            }
                        }
                    }
                }
            }
        }
    }

    /// (l + 2c + r)/4 over the finite samples; NaN where the centre is NaN.
    @inline(__always) static func careful(_ c: Float, _ l: Float, _ r: Float) -> Float {
        guard c.isFinite else { return c }
        var sum = 2 * c, weight: Float = 2
        if l.isFinite { sum += l; weight += 1 }
        if r.isFinite { sum += r; weight += 1 }
        return sum / weight
    }

    /// Index reflected into 0..<n.
    static func mirror(_ i: Int, _ n: Int) -> Int {
        guard n > 1 else { return 0 }
        var j = i
        while j < 0 || j >= n { j = j < 0 ? -j : 2 * (n - 1) - j }
        return j
    }
}
