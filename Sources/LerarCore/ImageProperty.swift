/// The value of a typed XISF property.
public enum PropertyValue: Sendable, Equatable, Codable {
    case boolean(Bool)
    case integer(Int64)
    case unsignedInteger(UInt64)
    case real(Double)
    case string(String)
    /// ISO 8601 time point, kept as text.
    case timePoint(String)
    /// Numeric vector (any element type; 64-bit integers beyond 2^53 lose precision).
    case vector([Double])
    /// Row-major numeric matrix.
    case matrix(rows: Int, columns: Int, values: [Double])
}

/// A typed XISF property (`<Property id="Observation:Object:Name" type="String">M31</Property>`).
public struct ImageProperty: Sendable, Equatable, Codable {
    /// Identifier with `:`-separated namespaces.
    public var id: String
    /// XISF type name (Boolean, Int32, UInt16, Float64, String, TimePoint, F32Vector, F64Matrix, …).
    public var type: String
    public var value: PropertyValue
    public var comment: String?
    public var format: String?

    public init(id: String, type: String, value: PropertyValue, comment: String? = nil, format: String? = nil) {
        self.id = id
        self.type = type
        self.value = value
        self.comment = comment
        self.format = format
    }

    /// A String property.
    public static func string(_ id: String, _ text: String) -> ImageProperty {
        ImageProperty(id: id, type: "String", value: .string(text))
    }

    /// A Float64 property.
    public static func real(_ id: String, _ number: Double) -> ImageProperty {
        ImageProperty(id: id, type: "Float64", value: .real(number))
    }
}
