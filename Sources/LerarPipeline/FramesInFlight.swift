import Foundation
import LerarCore

/// How many whole frames `lerar run` calibrates, registers or normalizes at once: one per core while their working
/// memory fits `output.memoryBudget`, never fewer than two (`Parallel.frameWorkers`), so memory no longer grows
/// with the core count.
public enum FramesInFlight {
    /// Bytes one frame in flight needs, in units of its Float32 image: measured on `lerar run` with 8 × 4096² frames
    /// through files (`--keep-intermediates`, an 8 GB budget), whose calibration peak grew from 639 MiB with 2
    /// frames in flight to 1,783 MiB with 8: 191 MiB, 3.0 of its 64 MiB images, per frame. Before calibration
    /// worked in place it was 4.75.
    public static let imagesPerFrame = 3.0

    /// Frames in flight for frames of `frameBytes` (their Float32 image), `budget` bytes and `cores` cores.
    public static func limit(frameBytes: Int, budget: Int, cores: Int = Parallel.coreCount) -> Int {
        Parallel.frameWorkers(frameBytes: frameBytes, imagesPerFrame: imagesPerFrame, budget: budget, cores: cores)
    }
}

extension PipelineRunner {
    /// Sets `framesInFlight` from the largest frame and the budget, and says so when it is fewer than the cores.
    func chooseFramesInFlight() {
        let frameBytes = frames.map(\.imageBytes).max() ?? 0
        let budget = configuration.output.memoryBudget << 20
        framesInFlight = FramesInFlight.limit(frameBytes: frameBytes, budget: budget)
        summary.framesInFlight = framesInFlight
        MemoryArenas.serveFramesFromHeap(frameBytes: frameBytes, keepBytes: budget, held: holdsFrames)
        if framesInFlight < Parallel.coreCount {
            let need = Int((Double(frameBytes) * FramesInFlight.imagesPerFrame) / 1_048_576)
            log.info("\(framesInFlight) frames in flight on \(Parallel.coreCount) cores: each needs about \(need) MB while it is "
                     + "calibrated, and output.memoryBudget is \(configuration.output.memoryBudget) MB (a larger budget lets more cores take a frame)")
        }
    }
}
