import Foundation

/// Why an image file could not be read or written. Every case names the file.
public enum ImageIOError: Error, LocalizedError, Equatable {
    /// The file does not exist or cannot be opened.
    case cannotOpen(path: String, reason: String)
    /// The extension names no format we know.
    case unknownFormat(path: String)
    /// The file ends before the data its header describes.
    case truncated(path: String, detail: String)
    /// The file's structure is invalid (bad signature, malformed header, geometry outside the file, …).
    case malformed(path: String, detail: String)
    /// A valid file using a feature we do not support (distributed XISF, NAXIS > 3, …).
    case unsupported(path: String, detail: String)
    /// A data block's stored checksum does not match its bytes.
    case checksumMismatch(path: String, detail: String)
    /// The header asks for more memory than is sensible for this file.
    case tooLarge(path: String, detail: String)
    /// An output exists and overwriting was not allowed.
    case outputExists(path: String)
    /// Writing failed (disk full, permissions, …); nothing was left at the destination.
    case writeFailed(path: String, reason: String)
    /// cfitsio reported an error.
    case fits(path: String, status: Int32, message: String)
    /// A frame's size or channels do not match the image it is combined with (a flat and its dark-flat master).
    case geometryMismatch(path: String, detail: String)

    public var errorDescription: String? {
        switch self {
        case let .cannotOpen(path, reason): "\(path): cannot open: \(reason)"
        case let .unknownFormat(path): "\(path): unknown image format (expected .fits, .fit, .fts, .fz, .xisf or a camera raw file such as .cr2, .nef, .arw, .dng)"
        case let .truncated(path, detail): "\(path): file is truncated: \(detail)"
        case let .malformed(path, detail): "\(path): invalid file: \(detail)"
        case let .unsupported(path, detail): "\(path): not supported: \(detail)"
        case let .checksumMismatch(path, detail): "\(path): checksum mismatch: \(detail)"
        case let .tooLarge(path, detail): "\(path): refusing to allocate: \(detail)"
        case let .outputExists(path): "\(path): output exists (use --overwrite to replace it)"
        case let .writeFailed(path, reason): "\(path): cannot write: \(reason)"
        case let .fits(path, status, message): "\(path): FITS error \(status): \(message)"
        case let .geometryMismatch(path, detail): "\(path): does not match: \(detail)"
        }
    }
}
