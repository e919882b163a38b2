import Foundation

/// Image file formats Lerar reads and writes.
public enum ImageFileFormat: String, Sendable, Codable, CaseIterable {
    case fits = "FITS"
    case xisf = "XISF"

    /// Format from a path's extension (.fits, .fit, .fts, .fz, .fits.fz, .xisf), case-insensitive.
    public static func from(path: String) throws -> ImageFileFormat {
        let lower = path.lowercased()
        if lower.hasSuffix(".xisf") { return .xisf }
        for suffix in [".fits", ".fit", ".fts", ".fz", ".fits.gz"] where lower.hasSuffix(suffix) { return .fits }
        throw ImageIOError.unknownFormat(path: path)
    }

    /// Whether a FITS path asks for tile compression by its name (`.fz`).
    public static func wantsTileCompression(path: String) -> Bool { path.lowercased().hasSuffix(".fz") }
}
