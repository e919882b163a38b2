/// Which samples of each frame the integration rejected (low, high or by range), one bit per pixel per channel,
/// in the registered geometry: what drizzle needs to leave the same samples out (PixInsight's DrizzleIntegration
/// takes ImageIntegration's rejection the same way).
public final class RejectionMasks: @unchecked Sendable {
    public let frames: Int, channels: Int, width: Int, height: Int
    /// [frame][channel] → bits, pixel index y·width + x.
    private var bits: [[[UInt64]]]

    init(frames: Int, channels: Int, width: Int, height: Int) {
        self.frames = frames; self.channels = channels; self.width = width; self.height = height
        bits = [[[UInt64]]](repeating: [[UInt64]](repeating: [UInt64](repeating: 0, count: (width * height + 63) / 64), count: channels), count: frames)
    }

    /// Whether `frame`'s sample of `channel` at registered pixel (`x`, `y`) was rejected; false outside the image.
    public func isRejected(frame: Int, channel: Int, x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < width, y < height else { return false }
        let index = y * width + x
        return bits[frame][channel][index >> 6] & (1 << UInt64(index & 63)) != 0
    }

    /// Records a band's marks (`marks[frame · bandSize + pixel]` ≠ 0) for rows starting at `firstRow`.
    func record(channel: Int, firstRow: Int, bandSize: Int, marks: UnsafeBufferPointer<UInt8>) {
        let start = firstRow * width
        for frame in 0..<frames {
            for pixel in 0..<bandSize where marks[frame * bandSize + pixel] != 0 {
                let index = start + pixel
                bits[frame][channel][index >> 6] |= 1 << UInt64(index & 63)
            }
        }
    }
}
