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

    /// Scans `roots` (folders or files) recursively for FITS/XISF files and reads their headers in parallel.
    /// `groupBy` keywords are recorded on every frame.
    public static func scan(_ roots: [String], groupBy: [String] = [], progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> FrameCatalog {
        var paths: [String] = []
        var skipped: [SkippedFile] = []
        for root in roots {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder) else {
                throw CalibrationError.missingInput(root)
            }
            if !isFolder.boolValue { paths.append(root); continue }
            guard let walker = FileManager.default.enumerator(atPath: root) else { throw CalibrationError.missingInput(root) }
            for case let relative as String in walker {
                let path = (root as NSString).appendingPathComponent(relative)
                let name = (relative as NSString).lastPathComponent
                if name.hasPrefix(".") { continue }
                if (try? ImageFileFormat.from(path: path)) != nil { paths.append(path) }
            }
        }
        paths.sort()
        let results = UnsafeMutableBufferPointer<Result<CatalogedFrame, SkippedFile>?>.allocate(capacity: paths.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let shared = UnsafeSendable(results)
        let counter = Tally()
        let allPaths = paths
        Parallel.forEach(iterations: paths.count) { index in
            do {
                let header = try ImageFile.readHeader(allPaths[index])
                shared.value[index] = CatalogedFrame.make(header: header, groupBy: groupBy)
            } catch {
                shared.value[index] = .failure(SkippedFile(path: allPaths[index], reason: (error as? LocalizedError)?.errorDescription ?? "\(error)"))
            }
            progress?(counter.next(), allPaths.count)
        }
        var frames: [CatalogedFrame] = []
        for result in results {
            switch result {
            case let .success(frame)?: frames.append(frame)
            case let .failure(file)?: skipped.append(file)
            case nil: break
            }
        }
        return FrameCatalog(frames: frames, skipped: skipped)
    }
}

/// Errors of cataloguing and linking.
public enum CalibrationError: Error, LocalizedError, Equatable {
    case missingInput(String)
    case badOverrides(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .missingInput(path): "\(path): no such file or folder"
        case let .badOverrides(path, reason): "\(path): \(reason)"
        }
    }
}
