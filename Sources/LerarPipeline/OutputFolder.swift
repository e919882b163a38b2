import Foundation
import LerarCalibration
import LerarCore
import LerarIO

/// The output folder of a run: locked against a second run (an exclusive `flock` on `.lerar.lock`, released by the
/// kernel however the holder ends, so a killed run never leaves a stale lock), marked as an output so scans skip it,
/// and cleared of temporary files a killed run left behind.
final class OutputFolder {
    static let lockName = ".lerar.lock"
    let path: String
    private let descriptor: Int32

    /// Creates (if needed) and locks `path`; throws `outputLocked` naming the holder when another run has it.
    init(path: String, command: String) throws {
        self.path = path
        try Self.create(path)
        let lockPath = (path as NSString).appendingPathComponent(Self.lockName)
        descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw PipelineError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw PipelineError.outputLocked(path: path, holder: holder.flatMap { $0.isEmpty ? nil : $0 } ?? "holder unknown")
        }
        let stamp = ISO8601DateFormatter().string(from: Date())
        let holder = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName), started \(stamp): \(command)\n"
        ftruncate(descriptor, 0)
        _ = holder.withCString { write(descriptor, $0, strlen($0)) }
        let marker = (path as NSString).appendingPathComponent(FrameCatalog.outputMarker)
        if !FileManager.default.fileExists(atPath: marker) {
            _ = FileManager.default.createFile(atPath: marker, contents: Data("This folder holds the results of `lerar run`; scans skip it.\n".utf8))
        }
    }

    deinit {
        ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Folders of the output a run writes into, the only ones searched for leftovers.
    static let ownFolders = OutputLayout.Folder.allCases.map(\.rawValue)

    /// Removes what a run killed mid-way (SIGKILL, a full disk) left in the run's own folders: master-preparation
    /// folders and atomic-write temporaries (`.<name>.<pid>-<number>.tmp`). Safe because the lock guarantees no
    /// other run is writing here. Returns what was removed, relative to the output folder.
    func removeLeftovers() -> [String] {
        var doomed: [String] = []
        for own in Self.ownFolders {
            guard let walker = FileManager.default.enumerator(atPath: (path as NSString).appendingPathComponent(own)) else { continue }
            for case let relative as String in walker {
                let name = (relative as NSString).lastPathComponent
                if name.hasPrefix(MasterBuilder.temporaryPrefix) || name.hasPrefix(".calibrated-flats-") || Self.isAtomicTemporary(name) {
                    doomed.append(own + "/" + relative)
                    walker.skipDescendants()
                }
            }
        }
        return doomed.filter { (try? FileManager.default.removeItem(atPath: (path as NSString).appendingPathComponent($0))) != nil }
    }

    /// Whether `name` is an `AtomicFileWriter` temporary: `.<name>.<pid>-<number>.tmp`.
    static func isAtomicTemporary(_ name: String) -> Bool {
        guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return false }
        let stem = name.dropLast(4)
        guard let dot = stem.lastIndex(of: ".") else { return false }
        let parts = stem[stem.index(after: dot)...].split(separator: "-")
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }

    /// Creates `path` and its parents; a failure says why in plain words (a file where a folder should be, no permission).
    static func create(_ path: String) throws {
        var ancestor = URL(fileURLWithPath: path).standardizedFileURL
        while !FileManager.default.fileExists(atPath: ancestor.path) && ancestor.path != "/" { ancestor.deleteLastPathComponent() }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isFolder), !isFolder.boolValue {
            throw PipelineError.cannotWrite(path: path, reason: "\(ancestor.path) is a file, not a folder (Not a directory)")
        }
        if ancestor.path != path && access(ancestor.path, W_OK) != 0 {
            throw PipelineError.cannotWrite(path: path, reason: "\(ancestor.path) is not writable (\(String(cString: strerror(errno))))")
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw PipelineError.cannotWrite(path: path, reason: reason(error))
        }
        if access(path, W_OK) != 0 { throw PipelineError.cannotWrite(path: path, reason: "not writable (\(String(cString: strerror(errno))))") }
    }

    /// The real path of `path` (links resolved), also when its last parts do not exist yet.
    static func realPath(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        var existing = url, missing: [String] = []
        while !FileManager.default.fileExists(atPath: existing.path) && existing.path != "/" {
            missing.insert(existing.lastPathComponent, at: 0)
            existing.deleteLastPathComponent()
        }
        var resolved = existing.resolvingSymlinksInPath()
        for part in missing { resolved.appendPathComponent(part) }
        return resolved.standardizedFileURL.path
    }

    /// Whether `inner` is `outer` or inside it, links resolved.
    static func contains(_ outer: String, _ inner: String) -> Bool {
        let base = realPath(outer), candidate = realPath(inner)
        return candidate == base || candidate.hasPrefix(base.hasSuffix("/") ? base : base + "/")
    }

    /// A plain reason for a file-system error ("permission denied", "no space left on device").
    static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        switch nsError.code {
        case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return "permission denied"
        case NSFileWriteOutOfSpaceError: return "no space left on device"
        case NSFileWriteVolumeReadOnlyError: return "read-only file system"
        default: return nsError.localizedFailureReason ?? nsError.localizedDescription
        }
    }
}
