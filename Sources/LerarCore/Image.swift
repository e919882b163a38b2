/// An image in memory: planar, contiguous Float32 samples (channel 0's rows top to bottom, then channel 1, …),
/// normalised so that integer data maps to [0,1]; NaN means "no data". Copy-on-write through Array storage.
public struct Image: Sendable, Equatable {
    /// Width in px.
    public let width: Int
    /// Height in px.
    public let height: Int
    public var colorSpace: ColorSpace
    /// Planar samples, `channelCount × height × width`.
    public private(set) var samples: [Float]
    public var metadata: ImageMetadata
    /// How the samples were stored in the file this image came from, if any.
    public var sourceSampleFormat: SampleFormat?
    /// Samples of that file a Float32 could not hold exactly (32-bit integers beyond 2^23 ADU, float64 detail);
    /// 0 for 8/16-bit integers and float32. A conversion refuses to lose them silently.
    public var inexactSourceSamples = 0

    /// Number of channels (1 gray, 3 RGB).
    public var channelCount: Int { colorSpace.channelCount }
    /// Pixels per channel.
    public var pixelCount: Int { width * height }

    /// A zero-filled image.
    public init(width: Int, height: Int, colorSpace: ColorSpace = .gray, metadata: ImageMetadata = ImageMetadata()) {
        precondition(width > 0 && height > 0, "Image geometry must be positive, got \(width)×\(height)")
        self.width = width
        self.height = height
        self.colorSpace = colorSpace
        self.samples = [Float](repeating: 0, count: width * height * colorSpace.channelCount)
        self.metadata = metadata
    }

    /// An image over existing planar samples.
    public init(width: Int, height: Int, colorSpace: ColorSpace = .gray, samples: [Float], metadata: ImageMetadata = ImageMetadata()) {
        precondition(width > 0 && height > 0, "Image geometry must be positive, got \(width)×\(height)")
        precondition(samples.count == width * height * colorSpace.channelCount,
                     "Image \(width)×\(height)×\(colorSpace.channelCount) needs \(width * height * colorSpace.channelCount) samples, got \(samples.count)")
        self.width = width
        self.height = height
        self.colorSpace = colorSpace
        self.samples = samples
        self.metadata = metadata
    }

    /// An image whose planar samples are written by `initializer` into uninitialised storage (no zero fill).
    public init(width: Int, height: Int, colorSpace: ColorSpace = .gray, metadata: ImageMetadata = ImageMetadata(),
                initializingSamplesWith initializer: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        precondition(width > 0 && height > 0, "Image geometry must be positive, got \(width)×\(height)")
        let count = width * height * colorSpace.channelCount
        self.width = width
        self.height = height
        self.colorSpace = colorSpace
        self.samples = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try initializer(buffer)
            initialized = count
        }
        self.metadata = metadata
    }

    /// Sample at (x, y) of channel `channel`; (0,0) is the top-left pixel.
    public subscript(x: Int, y: Int, channel: Int = 0) -> Float {
        get { samples[(channel * height + y) * width + x] }
        set { samples[(channel * height + y) * width + x] = newValue }
    }

    /// Read access to one channel's plane.
    public func withChannel<R>(_ channel: Int, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        precondition(channel >= 0 && channel < channelCount, "channel \(channel) out of 0..<\(channelCount)")
        return try samples.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[(channel * pixelCount)..<((channel + 1) * pixelCount)]))
        }
    }

    /// Write access to one channel's plane.
    public mutating func withMutableChannel<R>(_ channel: Int, _ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        precondition(channel >= 0 && channel < channelCount, "channel \(channel) out of 0..<\(channelCount)")
        let range = (channel * pixelCount)..<((channel + 1) * pixelCount)
        return try samples.withUnsafeMutableBufferPointer { all in
            try body(UnsafeMutableBufferPointer(rebasing: all[range]))
        }
    }

    /// Read access to all planar samples.
    public func withSamples<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try samples.withUnsafeBufferPointer(body)
    }

    /// Write access to all planar samples.
    public mutating func withMutableSamples<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try samples.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// The mean of the channels (the plane itself for gray images), for star work on colour images.
    public func channelMean() -> [Float] {
        if channelCount == 1 { return samples }
        var plane = [Float](repeating: 0, count: pixelCount)
        for channel in 0..<channelCount {
            withChannel(channel) { source in for i in 0..<plane.count { plane[i] += source[i] / Float(channelCount) } }
        }
        return plane
    }

    /// Robust statistics of each channel.
    public func statistics(options: StatisticsOptions = .init()) -> [ChannelStatistics] {
        (0..<channelCount).map { channel in withChannel(channel) { RobustStatistics.compute($0, options: options) } }
    }
}

extension Image {
    /// The `width`×`height` part starting at (x, y), metadata kept.
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> Image {
        var output = Image(width: width, height: height, colorSpace: colorSpace, metadata: metadata)
        for channel in 0..<channelCount {
            withChannel(channel) { source in
                output.withMutableChannel(channel) { target in
                    for row in 0..<height {
                        for column in 0..<width { target[row * width + column] = source[(y + row) * self.width + x + column] }
                    }
                }
            }
        }
        output.sourceSampleFormat = sourceSampleFormat
        return output
    }
}
