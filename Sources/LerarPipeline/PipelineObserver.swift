import Foundation

/// What `lerar run` tells its caller as it works: stages with their counts, and log lines. The CLI draws progress
/// bars from it; tests use it to interrupt a run part-way.
public protocol PipelineObserver: Sendable {
    /// A stage starts on `total` items.
    func stageStarted(_ stage: String, total: Int)
    /// `done` of `total` items of the stage are finished.
    func advanced(_ stage: String, done: Int, total: Int)
    /// A decision or event worth a line (also written to the log file).
    func logged(_ line: String, level: RunLog.Level)
    /// Asked after each finished item: true stops the run there (everything finished so far is kept in the cache).
    func shouldStop() -> Bool
}

public extension PipelineObserver {
    func stageStarted(_ stage: String, total: Int) {}
    func advanced(_ stage: String, done: Int, total: Int) {}
    func logged(_ line: String, level: RunLog.Level) {}
    func shouldStop() -> Bool { false }
}

/// An observer that ignores everything.
public struct SilentObserver: PipelineObserver { public init() {} }

/// The run's log file (`logs/run-<time>.log`): every decision with a time stamp, also passed to the observer.
public final class RunLog: @unchecked Sendable {
    public enum Level: String, Sendable, Codable { case info, warning, error }

    public let path: String?
    private let observer: any PipelineObserver
    private let lock = NSLock()
    private var handle: FileHandle?
    public private(set) var warnings: [String] = []

    public init(path: String?, observer: any PipelineObserver) throws {
        self.path = path
        self.observer = observer
        if let path {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            handle = FileHandle(forWritingAtPath: path)
        }
    }

    deinit { try? handle?.close() }

    public func info(_ line: String) { write(line, .info) }
    public func warning(_ line: String) { write(line, .warning) }
    public func error(_ line: String) { write(line, .error) }

    public func write(_ line: String, _ level: Level) {
        lock.withLock {
            if level == .warning { warnings.append(line) }
            let stamp = ISO8601DateFormatter().string(from: Date())
            let prefix = level == .info ? "" : "\(level.rawValue): "
            let text = line.split(separator: "\n", omittingEmptySubsequences: false).map { "\(stamp) \(prefix)\($0)\n" }.joined()
            try? handle?.write(contentsOf: Data(text.utf8))
        }
        observer.logged(line, level: level)
    }
}
