import LerarCore

/// How to write an image file.
public struct ImageWriteOptions: Sendable {
    /// Stored sample format: UInt16 or Float32 for FITS; UInt8/16/32, Float32/64 for XISF.
    /// Default: Float32 (32-bit float masters and results, as WBPP writes them).
    public var sampleFormat: SampleFormat
    /// XISF: a codec (`zlib`, `lz4`, `lz4hc`, `zstd`, each with optional `+sh`); FITS: `rice`, `gzip`, `gzip2`
    /// (tile compression; lossless for Float32). Nil = uncompressed (or RICE for a `.fz` path).
    public var compression: String?
    /// Codec level; nil = the codec's default.
    public var compressionLevel: Int?
    /// XISF block checksum to write (sha-1 is PixInsight's default choice).
    public var checksum: DigestAlgorithm?
    /// XISF pixel storage: planar (default, as PixInsight) or normal (interleaved).
    public var normalPixelStorage: Bool
    /// Replace an existing file.
    public var overwrite: Bool
    /// Return the written file's content hash (`ContentHash.ofParts`) where the writer has the bytes in hand
    /// (XISF), for a cache that would otherwise read the file back to hash it.
    public var contentHash = false

    public init(sampleFormat: SampleFormat = .float32, compression: String? = nil, compressionLevel: Int? = nil,
                checksum: DigestAlgorithm? = nil, normalPixelStorage: Bool = false, overwrite: Bool = false) {
        self.sampleFormat = sampleFormat
        self.compression = compression
        self.compressionLevel = compressionLevel
        self.checksum = checksum
        self.normalPixelStorage = normalPixelStorage
        self.overwrite = overwrite
    }
}
