import LerarCore

/// What a file says about its image without reading the pixels: enough for `lerar info` and for cataloguing.
public struct ImageFileHeader: Sendable, Equatable {
    public var path: String
    public var format: ImageFileFormat
    /// Width in px.
    public var width: Int
    /// Height in px.
    public var height: Int
    public var colorSpace: ColorSpace
    public var sampleFormat: SampleFormat
    /// Compression as the file names it (`zstd+sh`, `RICE_1`), nil when uncompressed.
    public var compression: String?
    /// XISF pixel storage (Planar/Normal); FITS is always planar.
    public var pixelStorage: String
    /// Checksum algorithm of the image block, when present.
    public var checksum: String?
    public var metadata: ImageMetadata
    /// Non-fatal oddities found while reading (unknown elements, skipped property types, …).
    public var warnings: [String]

    public var channelCount: Int { colorSpace.channelCount }
}
