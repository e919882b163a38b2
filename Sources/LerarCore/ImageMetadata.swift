/// Everything about an image except its pixels: ordered FITS keywords (duplicates such as HISTORY kept in order),
/// typed XISF properties, and what the file said about the frame.
public struct ImageMetadata: Sendable, Equatable, Codable {
    public var keywords: [FITSKeyword]
    public var properties: [ImageProperty]
    /// XISF `imageType` attribute (Light, MasterDark, …) when the file had one.
    public var imageType: String?

    public init(keywords: [FITSKeyword] = [], properties: [ImageProperty] = [], imageType: String? = nil) {
        self.keywords = keywords
        self.properties = properties
        self.imageType = imageType
    }

    /// The first card with this name.
    public func keyword(_ name: String) -> FITSKeyword? {
        let upper = name.uppercased()
        return keywords.first { $0.name == upper }
    }

    /// Replaces the first card with this name (keeping its position), or appends it.
    public mutating func setKeyword(_ keyword: FITSKeyword) {
        if let index = keywords.firstIndex(where: { $0.name == keyword.name }) {
            keywords[index] = keyword
        } else {
            keywords.append(keyword)
        }
    }

    /// Removes every card with this name.
    public mutating func removeKeyword(_ name: String) {
        let upper = name.uppercased()
        keywords.removeAll { $0.name == upper }
    }

    /// Appends a HISTORY card.
    public mutating func addHistory(_ text: String) { keywords.append(.history(text)) }

    /// The property with this id.
    public func property(_ id: String) -> ImageProperty? { properties.first { $0.id == id } }

    /// Replaces the property with the same id, or appends it.
    public mutating func setProperty(_ property: ImageProperty) {
        if let index = properties.firstIndex(where: { $0.id == property.id }) {
            properties[index] = property
        } else {
            properties.append(property)
        }
    }

    /// Acquisition facts read through the keyword alias table.
    public var acquisition: AcquisitionInfo { AcquisitionInfo(metadata: self) }
}
