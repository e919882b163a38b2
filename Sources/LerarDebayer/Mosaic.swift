import LerarCore

/// Read access to a single-plane CFA mosaic: its samples, size and pattern. Coordinates outside the image and NaN
/// or infinite samples are "no data".
struct Mosaic {
    let samples: UnsafeBufferPointer<Float>
    let width: Int
    let height: Int
    let pattern: CFAPattern

    /// The sample at (`x`, `y`), nil when outside the image or not finite.
    @inline(__always) func value(_ x: Int, _ y: Int) -> Float? {
        guard x >= 0, y >= 0, x < width, y < height else { return nil }
        let v = samples[y * width + x]
        return v.isFinite ? v : nil
    }

    /// Mean of the finite samples of `channel` among the 8 neighbours of (`x`, `y`), or failing that the 5×5
    /// neighbourhood; NaN when there are none. This is bilinear interpolation where the neighbours have data.
    func neighbourMean(_ x: Int, _ y: Int, channel: Int) -> Float {
        for radius in 1...2 {
            var sum: Float = 0, count = 0
            for dy in -radius...radius {
                for dx in -radius...radius where (dx != 0 || dy != 0) && pattern.channel(x: x + dx, y: y + dy) == channel {
                    if let v = value(x + dx, y + dy) { sum += v; count += 1 }
                }
            }
            if count > 0 { return sum / Float(count) }
        }
        return .nan
    }

    /// Red, green and blue at (`x`, `y`) by bilinear interpolation; the pixel's own colour is its sample, or where it
    /// has no data, the mean of its nearest same-colour neighbours.
    @inline(__always) func bilinear(_ x: Int, _ y: Int) -> (Float, Float, Float) {
        let own = pattern.channel(x: x, y: y)
        func estimate(_ channel: Int) -> Float {
            channel == own ? (value(x, y) ?? neighbourMean(x, y, channel: channel)) : neighbourMean(x, y, channel: channel)
        }
        return (estimate(0), estimate(1), estimate(2))
    }
}

extension Image {
    /// An RGB image of `width`×`height` whose rows `y` are filled by `row(y, red, green, blue)` concurrently.
    static func rgb(width: Int, height: Int, metadata: ImageMetadata,
                    rows: @Sendable (_ y: Int, _ red: UnsafeMutablePointer<Float>, _ green: UnsafeMutablePointer<Float>, _ blue: UnsafeMutablePointer<Float>) -> Void) -> Image {
        Image(width: width, height: height, colorSpace: .rgb, metadata: metadata) { buffer in
            let base = UnsafeSendable(buffer.baseAddress!)
            let plane = width * height
            Parallel.forEachChunk(count: height, minimumChunkSize: 8) { range in
                for y in range {
                    let start = base.value + y * width
                    rows(y, start, start + plane, start + 2 * plane)
                }
            }
        }
    }
}
