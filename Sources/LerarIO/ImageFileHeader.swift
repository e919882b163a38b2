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

    public init(path: String, format: ImageFileFormat, width: Int, height: Int, colorSpace: ColorSpace, sampleFormat: SampleFormat,
                compression: String?, pixelStorage: String, checksum: String?, metadata: ImageMetadata, warnings: [String]) {
        (self.path, self.format, self.width, self.height, self.colorSpace) = (path, format, width, height, colorSpace)
        (self.sampleFormat, self.compression, self.pixelStorage, self.checksum) = (sampleFormat, compression, pixelStorage, checksum)
        (self.metadata, self.warnings) = (metadata, warnings)
    }
}
