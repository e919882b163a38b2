import CFITSIO
import Foundation

/// An open cfitsio file with error reporting that names the file. Opened as a plain disk file so that cfitsio's
/// extended filename syntax (`file.fits[1]`, `!file`) never reinterprets a user's path.
final class FITSHandle {
    let path: String
    var pointer: UnsafeMutablePointer<fitsfile>?

    private init(path: String, pointer: UnsafeMutablePointer<fitsfile>?) {
        self.path = path
        self.pointer = pointer
    }

    /// Opens an existing file read-only; inputs are never modified.
    static func openForReading(_ path: String) throws -> FITSHandle {
        var status: Int32 = 0
        var pointer: UnsafeMutablePointer<fitsfile>?
        ffdkopn(&pointer, path, READONLY, &status)
        let handle = FITSHandle(path: path, pointer: pointer)
        try handle.check(status)
        return handle
    }

    /// Creates a new file (which must not exist); errors name `reportedPath` (the final name of an atomic write).
    static func create(_ path: String, reportedPath: String) throws -> FITSHandle {
        var status: Int32 = 0
        var pointer: UnsafeMutablePointer<fitsfile>?
        ffdkinit(&pointer, path, &status)
        let handle = FITSHandle(path: reportedPath, pointer: pointer)
        try handle.check(status)
        return handle
    }

    /// Closes the file, reporting a failure to flush (e.g. a full disk).
    func close() throws {
        guard pointer != nil else { return }
        var status: Int32 = 0
        ffclos(pointer, &status)
        pointer = nil
        try check(status)
    }

    deinit {
        if pointer != nil { var status: Int32 = 0; ffclos(pointer, &status) }
    }

    /// Throws a FITS error naming the file when `status` is non-zero.
    func check(_ status: Int32) throws {
        guard status != 0 else { return }
        throw Self.error(path: path, status: status)
    }

    /// Text of a NUL-terminated C buffer.
    static func string(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func error(path: String, status: Int32) -> ImageIOError {
        var text = [CChar](repeating: 0, count: 81)
        ffgerr(status, &text)
        var message = string(text)
        var stack = [CChar](repeating: 0, count: 81)
        var details: [String] = []
        while ffgmsg(&stack) != 0 { details.append(string(stack)) }
        if let last = details.last(where: { !$0.isEmpty }), last != message { message += " (\(last))" }
        if status == 107 || status == 108 { return .truncated(path: path, detail: message) }
        return .fits(path: path, status: status, message: message)
    }
}
