import Foundation

/// Progress on stderr: a rewritten line with count and ETA on a terminal, a plain line per 10 % otherwise.
final class ProgressReporter: @unchecked Sendable {
    private let label: String
    private let start = Date()
    private let lock = NSLock()
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastDecile = -1

    init(_ label: String) { self.label = label }

    /// `note` names what is running now (a step of the finish).
    func update(_ done: Int, of total: Int, note: String? = nil) {
        lock.withLock {
            let elapsed = Date().timeIntervalSince(start)
            let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
            let line = String(format: "%@ %d/%d (%.0f%%), %.1f s elapsed, ETA %.1f s", label, done, total,
                              100 * Double(done) / Double(max(total, 1)), elapsed, eta) + (note.map { ": " + $0 } ?? "")
            if isTerminal {
                FileHandle.standardError.write(Data(("\r" + line + (done == total ? "\n" : "")).utf8))
            } else {
                let decile = total > 0 ? done * 10 / total : 10
                if decile != lastDecile { lastDecile = decile; FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
        }
    }
}
