import Foundation

/// Writes outputs atomically: into a hidden temporary file in the destination folder, renamed into place only
/// when complete, so a crash or a full disk never leaves a half-written file under the final name.
public enum AtomicFileWriter {
    /// Runs `write` with a temporary path next to `path`, then renames it to `path`.
    /// Refuses an existing destination unless `overwrite`; removes the temporary file on any failure.
    public static func write(to path: String, overwrite: Bool, _ write: (String) throws -> Void) throws {
        let manager = FileManager.default
        if !overwrite && manager.fileExists(atPath: path) { throw ImageIOError.outputExists(path: path) }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ImageIOError.writeFailed(path: path, reason: "folder \(folder) does not exist")
        }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max)).tmp").path
        do {
            try write(temporary)
            guard rename(temporary, path) == 0 else {
                throw ImageIOError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String, overwrite: Bool) throws {
        try write(to: path, overwrite: overwrite) { try data.write(to: URL(fileURLWithPath: $0)) }
    }

    /// Writes `data` to `fd` completely, retrying short writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw ImageIOError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            offset += written
        }
    }
}
