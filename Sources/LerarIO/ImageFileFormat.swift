import Foundation

/// Image file formats Lerar reads and writes.
public enum ImageFileFormat: String, Sendable, Codable, CaseIterable {
    case fits = "FITS"
    case xisf = "XISF"
    /// A camera's raw file (DSLR, mirrorless), read through LibRaw as the sensor's CFA mosaic; never written.
    case cameraRaw = "RAW"

    /// Camera raw extensions LibRaw reads.
    public static let cameraRawExtensions = ["cr2", "cr3", "crw", "nef", "nrw", "arw", "srf", "sr2", "raf", "orf", "rw2", "pef", "dng", "3fr", "erf", "kdc", "mef", "mos", "mrw", "srw", "iiq"]

    /// Format from a path's extension (.fits, .fit, .fts, .fz, .fits.fz, .xisf), case-insensitive.
    public static func from(path: String) throws -> ImageFileFormat {
        let lower = path.lowercased()
        if lower.hasSuffix(".xisf") { return .xisf }
        for suffix in [".fits", ".fit", ".fts", ".fz", ".fits.gz"] where lower.hasSuffix(suffix) { return .fits }
        if cameraRawExtensions.contains((lower as NSString).pathExtension) { return .cameraRaw }
        throw ImageIOError.unknownFormat(path: path)
    }

    /// Whether a FITS path asks for tile compression by its name (`.fz`).
    public static func wantsTileCompression(path: String) -> Bool { path.lowercased().hasSuffix(".fz") }
}
