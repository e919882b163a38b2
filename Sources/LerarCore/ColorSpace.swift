/// Colour space of an image's channels.
public enum ColorSpace: String, Sendable, Codable, CaseIterable {
    case gray = "Gray"
    case rgb = "RGB"

    /// Number of channels this colour space has.
    public var channelCount: Int { self == .gray ? 1 : 3 }
}

/// How samples are (or were) stored in a file. In memory, samples are always Float32.
public enum SampleFormat: String, Sendable, Codable, CaseIterable {
    case uint8 = "UInt8"
    case uint16 = "UInt16"
    case uint32 = "UInt32"
    case int16 = "Int16"
    case int32 = "Int32"
    case float32 = "Float32"
    case float64 = "Float64"

    /// Bytes per sample on disk.
    public var byteCount: Int {
        switch self {
        case .uint8: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .float64: 8
        }
    }

    /// Whether the format holds integers (normalised to [0,1] on read).
    public var isInteger: Bool { self != .float32 && self != .float64 }

    /// Largest ADU of an unsigned integer format (2^bits − 1), the divisor used to normalise to [0,1].
    public var integerRange: Double {
        switch self {
        case .uint8: 255
        case .uint16, .int16: 65535
        case .uint32, .int32: 4_294_967_295
        case .float32, .float64: 1
        }
    }
}
