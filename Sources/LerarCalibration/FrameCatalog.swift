import Foundation
import LerarCore
import LerarIO

/// All frames found under some folders (headers only), and the files that were skipped with the reason.
public struct FrameCatalog: Sendable, Codable {
    public var frames: [CatalogedFrame]
    public var skipped: [SkippedFile]

    public init(frames: [CatalogedFrame], skipped: [SkippedFile]) {
        self.frames = frames
        self.skipped = skipped
    }

    /// Name of the marker file `lerar run` leaves in its output folder; scans skip folders holding it, so an old
    /// run's calibrated frames and stacks are never catalogued as inputs.
    public static let outputMarker = ".lerar-output"

    /// Scans `roots` (folders or files) recursively for FITS/XISF files, following symbolic links (a dark library
    /// linked into a session folder), each real folder once, and reads their headers in parallel. A file that
    /// cannot be read, or is no frame, is listed in `skipped` with its reason; it never stops the scan.
    public static func scan(_ roots: [String], rules: LinkRules = LinkRules(), progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> FrameCatalog {
        var walk = FolderWalk()
        for root in roots {
            guard FileManager.default.fileExists(atPath: root) else { throw CalibrationError.missingInput(root) }
            walk.visit(root)
        }
        let paths = walk.files.sorted()
        var skipped = walk.skipped
        let results = UnsafeMutableBufferPointer<Result<CatalogedFrame, SkippedFile>?>.allocate(capacity: paths.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let shared = UnsafeSendable(results)
        let counter = Tally()
        Parallel.forEach(iterations: paths.count) { index in
            do {
                let header = try ImageFile.readHeader(paths[index])
                shared.value[index] = CatalogedFrame.make(header: header, rules: rules)
            } catch {
                // The reason without the path it starts with: the skipped entry already names the file.
                var reason = (error as? LocalizedError)?.errorDescription ?? "\(error)"
                if reason.hasPrefix(paths[index] + ": ") { reason.removeFirst(paths[index].count + 2) }
                shared.value[index] = .failure(SkippedFile(path: paths[index], reason: reason, unreadable: true))
            }
            progress?(counter.next(), paths.count)
        }
        var frames: [CatalogedFrame] = []
        for result in results {
            switch result {
            case let .success(frame)?: frames.append(frame)
            case let .failure(file)?: skipped.append(file)
            case nil: break
            }
        }
        // Two paths to the same file (a link beside its target) are one frame.
        var seen = Set<String>()
        frames = frames.filter { frame in
            let real = URL(fileURLWithPath: frame.path).resolvingSymlinksInPath().path
            if seen.insert(real).inserted { return true }
            skipped.append(SkippedFile(path: frame.path, reason: "the same file as \(real), already catalogued"))
            return false
        }
        return FrameCatalog(frames: frames, skipped: skipped)
    }
}

/// A recursive walk that follows symbolic links to folders and files, visits each real folder once (a link back to
/// an ancestor is a loop, skipped with a note), skips hidden entries and Lerar output folders, and collects image files.
struct FolderWalk {
    var files: [String] = []
    var skipped: [SkippedFile] = []
    private var visited = Set<[UInt64]>()

    static func identity(_ path: String) -> (id: [UInt64], isFolder: Bool)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil } // stat follows links
        return ([UInt64(info.st_dev), UInt64(info.st_ino)], (info.st_mode & S_IFMT) == S_IFDIR)
    }

    mutating func visit(_ path: String) {
        guard let (id, isFolder) = Self.identity(path) else {
            skipped.append(SkippedFile(path: path, reason: "a broken link or unreadable entry", unreadable: true))
            return
        }
        guard isFolder else {
            if (try? ImageFileFormat.from(path: path)) != nil { files.append(path) }
            return
        }
        guard visited.insert(id).inserted else {
            skipped.append(SkippedFile(path: path, reason: "a link to a folder already scanned (a loop, or the same folder twice)"))
            return
        }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            skipped.append(SkippedFile(path: path, reason: "folder cannot be read: \((error as NSError).localizedFailureReason ?? error.localizedDescription)", unreadable: true))
            return
        }
        if entries.contains(FrameCatalog.outputMarker) {
            skipped.append(SkippedFile(path: path, reason: "a lerar run output folder (its frames are results, not inputs)"))
            return
        }
        for name in entries.sorted() where !name.hasPrefix(".") {
            visit((path as NSString).appendingPathComponent(name))
        }
    }
}

/// Errors of cataloguing and linking.
public enum CalibrationError: Error, LocalizedError, Equatable {
    case missingInput(String)
    case badOverrides(path: String, reason: String)
    case badGroupingKeyword(String)
    /// A master that would calibrate wrongly, with why.
    case unusableMaster(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .missingInput(path): "\(path): no such file or folder"
        case let .badOverrides(path, reason): "\(path): \(reason)"
        case let .badGroupingKeyword(entry): "grouping keyword '\(entry)': write KEY, KEY:pre, KEY:post or KEY:both"
        case let .unusableMaster(path, reason): "\(path): \(reason)"
        }
    }
}
