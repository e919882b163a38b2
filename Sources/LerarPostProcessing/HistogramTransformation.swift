import LerarCore

/// One HistogramTransformation: clip to [shadows, highlights], apply the midtones balance, expand to [low, high].
public struct HistogramTransformation: Sendable, Equatable, Codable {
    /// Shadows clipping point (image units, [0,1]); default 0, PixInsight's HT.
    public var shadows: Double = 0
    /// Midtones balance (0, 1); default 0.5 (the identity), PixInsight's HT.
    public var midtones: Double = 0.5
    /// Highlights clipping point; default 1, PixInsight's HT.
    public var highlights: Double = 1
    /// Dynamic range expansion bounds, low ≤ 0 ≤ 1 ≤ high; defaults 0 and 1 (none), PixInsight's HT.
    public var lowRange: Double = 0, highRange: Double = 1

    public init(shadows: Double = 0, midtones: Double = 0.5, highlights: Double = 1, lowRange: Double = 0, highRange: Double = 1) {
        self.shadows = shadows
        self.midtones = midtones
        self.highlights = highlights
        self.lowRange = lowRange
        self.highRange = highRange
    }

    /// Whether it changes nothing.
    public var isIdentity: Bool { shadows == 0 && midtones == 0.5 && highlights == 1 && lowRange == 0 && highRange == 1 }

    /// The transformed value of `x`; NaN stays NaN (no data).
    @inlinable public func apply(_ x: Double) -> Double {
        guard x.isFinite else { return x }
        let c0 = min(shadows, highlights), c1 = max(shadows, highlights)
        var v = c1 > c0 ? (x - c0) / (c1 - c0) : (x < c0 ? 0 : 1)
        v = min(1, max(0, v))
        v = midtonesTransfer(midtones, v)
        if lowRange != 0 || highRange != 1 { v = (v - lowRange) / (highRange - lowRange) }
        return v
    }

    /// `image` with this transformation applied to every channel.
    public func applied(to image: Image) -> Image {
        HistogramTransformation.apply(Array(repeating: self, count: image.channelCount), to: image)
    }

    /// `image` with `transforms[c]` applied to channel c (one per channel, or one for all).
    public static func apply(_ transforms: [HistogramTransformation], to image: Image) -> Image {
        precondition(transforms.count == 1 || transforms.count == image.channelCount, "one transformation per channel, or one for all")
        var output = image
        for channel in 0..<image.channelCount {
            let transform = transforms.count == 1 ? transforms[0] : transforms[channel]
            if transform.isIdentity { continue }
            output.withMutableChannel(channel) { plane in
                let shared = UnsafeSendable(plane)
                Parallel.forEachChunk(count: plane.count) { range in
                    for i in range { shared.value[i] = Float(transform.apply(Double(shared.value[i]))) }
                }
            }
        }
        return output
    }
}
