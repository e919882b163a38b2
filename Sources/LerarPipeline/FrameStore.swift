import Foundation
import LerarCore
import LerarIO

/// Frames `lerar run` passes from stage to stage in memory instead of through `registered/` files (and calibrating
/// again), named by the paths their files would have. What it holds stays within a byte budget: a frame that does
/// not fit is written to its file (or calibrated again) instead, so memory is bounded whatever the frames or cores.
final class FrameStore: @unchecked Sendable {
    /// Bytes the held frames may take.
    let budget: Int
    private var images: [String: Image] = [:]
    private(set) var heldBytes = 0
    /// Frames written because the budget was full, for the log.
    private(set) var spilled = 0
    private let lock = NSLock()

    init(budget: Int) { self.budget = max(0, budget) }

    /// Holds `image` under `path` when it fits the budget; false when the caller must write it.
    func hold(_ image: Image, as path: String) -> Bool {
        let bytes = image.samples.count * MemoryLayout<Float>.stride
        return lock.withLock {
            if let old = images[path] { heldBytes -= old.samples.count * MemoryLayout<Float>.stride }
            guard heldBytes + bytes <= budget else {
                images[path] = nil
                spilled += 1
                return false
            }
            images[path] = image
            heldBytes += bytes
            return true
        }
    }

    func holds(_ path: String) -> Bool { lock.withLock { images[path] != nil } }

    /// Bytes of the frames held under `paths`.
    func heldBytes(of paths: [String]) -> Int {
        lock.withLock { paths.reduce(0) { $0 + (images[$1]?.samples.count ?? 0) * MemoryLayout<Float>.stride } }
    }

    /// Drops the frames held under `paths`.
    func release(_ paths: [String]) {
        lock.withLock {
            for path in paths { if let old = images.removeValue(forKey: path) { heldBytes -= old.samples.count * MemoryLayout<Float>.stride } }
        }
    }

    /// Reads frames from memory where held, else from their files.
    var source: ImageSource { ImageSource { [self] path in lock.withLock { images[path] } } }
}

extension PipelineRunner {
    /// Holds frames in memory only when all of them fit the budget's share at once: a run then needs the frames and
    /// one small band, and otherwise passes everything through files with the whole budget for the integration's
    /// bands. (Holding some of them would need both: frames and full bands.) Drizzle reads calibrated files, and
    /// `keepIntermediates` wants them, so both go through files; otherwise only registered frames do.
    func chooseFrameStore() {
        let share = configuration.output.heldFrameBytes
        let needed = frames.reduce(0) { $0 + $1.imageBytes }
        var reason: String?
        if options.scope.isStep {
            reason = "a step of a cluster run hands its frames to the next level's tasks through files"
        } else if configuration.output.keepIntermediates {
            reason = "output.keepIntermediates is on"
        } else if configuration.drizzleParameters != nil {
            reason = "drizzle reads the calibrated files"
        } else if needed > share {
            reason = "\(frames.count) frames need \(needed >> 20) MB, more than the \(share >> 20) MB that output.memoryBudget "
                + "(\(configuration.output.memoryBudget) MB) leaves for frames in memory"
        }
        holdsFrames = reason == nil
        store = FrameStore(budget: holdsFrames ? share : 0)
        summary.framesInMemory = holdsFrames
        summary.framesThroughFilesReason = reason
        if let reason {
            let recalibrates = frames.contains { !writesCalibratedFile($0) }, colour = frames.contains(where: \.oneShotColour)
            log.info((recalibrates ? "registered frames go through files, and registration calibrates each light again from its raw sub"
                      + (colour ? " (one-shot-colour lights, whose debayer costs more, through calibrated/ files)" : "") + ": "
                      : "calibrated and registered frames go through files: ") + reason)
        }
    }
}
