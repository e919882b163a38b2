/// Which samples statistics skip.
public struct StatisticsOptions: Sendable, Codable, Equatable {
    /// NaN-aware (default): NaN and ±Inf are "no data" and skipped. When false, any non-finite sample makes every
    /// location/scale result NaN, as plain IEEE arithmetic would.
    public var ignoreNaN: Bool
    /// Also skip exact zeros, PixInsight's and Siril's "no data" marker in registered frames. Default false.
    public var ignoreZero: Bool

    public init(ignoreNaN: Bool = true, ignoreZero: Bool = false) {
        self.ignoreNaN = ignoreNaN
        self.ignoreZero = ignoreZero
    }
}

/// Location and scale of one channel. Values are in the image's sample units (normalised [0,1] for integer data).
public struct ChannelStatistics: Sendable, Codable, Equatable {
    /// Samples used.
    public var count: Int
    /// Samples skipped as no data (NaN, ±Inf, and zeros when asked).
    public var skippedCount: Int
    public var mean: Double
    public var standardDeviation: Double
    public var median: Double
    /// Median absolute deviation from the median.
    public var mad: Double
    public var minimum: Double
    public var maximum: Double

    /// MAD scaled to a normal distribution's sigma (1.4826 × MAD).
    public var sigmaMAD: Double { 1.482602218505602 * mad }

    /// Statistics of a channel with no usable sample: counts set, everything else NaN.
    public static func empty(count: Int, skipped: Int) -> ChannelStatistics {
        ChannelStatistics(count: count, skippedCount: skipped, mean: .nan, standardDeviation: .nan, median: .nan,
                          mad: .nan, minimum: .nan, maximum: .nan)
    }
}

/// Compile-time sample acceptance rule, so the hot loops specialise without a closure call per sample.
protocol SampleFilter: SendableMetatype {
    static func accepts(_ sample: Float) -> Bool
}

enum FiniteSamples: SampleFilter {
    @inline(__always) static func accepts(_ sample: Float) -> Bool { sample.isFinite }
}

enum FiniteNonZeroSamples: SampleFilter {
    @inline(__always) static func accepts(_ sample: Float) -> Bool { sample.isFinite && sample != 0 }
}
