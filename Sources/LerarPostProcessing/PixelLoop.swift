import LerarCore

/// The parallel loop over an image's pixels that the colour processes share: each pixel's channels sit `count`
/// samples apart in the planar buffer.
enum PixelLoop {
    /// Calls `body(samples, i, count)` for every pixel index `i`, in parallel chunks; `count` is the pixels per channel.
    static func forEachPixel(of image: inout Image, _ body: @Sendable (UnsafeMutableBufferPointer<Float>, Int, Int) -> Void) {
        let count = image.pixelCount
        image.withMutableSamples { samples in
            let shared = UnsafeSendable(samples)
            Parallel.forEachChunk(count: count) { range in
                for i in range { body(shared.value, i, count) }
            }
        }
    }
}
