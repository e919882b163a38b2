import LerarCore

/// What an integration produced.
public struct IntegrationResult: Sendable {
    /// Per-frame facts and how many of its samples were rejected.
    public struct FrameReport: Sendable, Codable {
        public var path: String
        /// Normalised weight (max 1) per channel.
        public var weights: [Double]
        public var estimates: [ChannelEstimates]
        public var rejectedLow: Int, rejectedHigh: Int
        /// Samples left out as no data (NaN) or by range clipping.
        public var rangeRejected: Int
        /// Samples rejected low / high in each channel (R, G, B for colour).
        public var rejectedLowByChannel: [Int], rejectedHighByChannel: [Int]
        /// The global normalization applied per channel, value·scale + offset (1, 0 under local normalization).
        public var normalizationScale: [Double] = [], normalizationOffset: [Double] = []
    }

    public var image: Image
    /// Fraction of the stack rejected low / high per pixel (when asked).
    public var rejectionLow: Image?, rejectionHigh: Image?
    public var frames: [FrameReport]
    /// The algorithm `auto` resolved to.
    public var rejection: IntegrationParameters.Rejection
    /// Rows per band used to stay within the memory budget.
    public var bandRows: Int
    /// Per-frame rejected samples, when asked for (drizzle).
    public var rejectedSamples: RejectionMasks?
}

/// Why an integration could not run.
public enum IntegrationError: Error, Equatable, CustomStringConvertible {
    case tooFewFrames(Int)
    case geometryMismatch(path: String, detail: String)
    case badWeight(path: String, detail: String)
    case missingLocalNormalization

    public var description: String {
        switch self {
        case let .tooFewFrames(count): "integration needs at least 1 frame (3 for rejection), got \(count)"
        case let .geometryMismatch(path, detail): "\(path): \(detail)"
        case let .badWeight(path, detail): "\(path): \(detail)"
        case .missingLocalNormalization: "local normalization needs a reference (--ln-reference) to fit the frames to"
        }
    }
}
