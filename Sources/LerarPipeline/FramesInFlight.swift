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

    /// MB (MiB, rounded up) one frame in flight of `frameBytes` needs.
    public static func needMB(frameBytes: Int) -> Int { Int((Double(frameBytes) * imagesPerFrame / 1_048_576).rounded(.up)) }

    /// What to tell the user when even `framesInFlight` frames (Lerar's least) need more than `budgetMB`: the budget
    /// cannot be kept (8 × 60-megapixel frames peaked at 1.5 GB on 512 MB, on 2 cores and on 32, and on a budget of
    /// 1,374 MB too: the masters and one frame's calibration set the peak); nil when it can.
    public static func budgetShortfall(frameBytes: Int, framesInFlight: Int, budgetMB: Int) -> String? {
        let need = needMB(frameBytes: frameBytes)
        guard framesInFlight * need > budgetMB else { return nil }
        return "output.memoryBudget is \(budgetMB) MB, less than the \(framesInFlight) frame\(framesInFlight == 1 ? "" : "s") in flight that Lerar runs at "
            + "the least need (about \(need) MB each while calibrated: \(imagesPerFrame.formatted()) times its \(frameBytes >> 20) MB image): the run "
            + "will use more memory than the budget, about \(framesInFlight * need) MB for the frames in flight and the masters beside them"
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
        // Said once, as a warning, so the summary shows it and the user can plan the machine's memory.
        if let shortfall = FramesInFlight.budgetShortfall(frameBytes: frameBytes, framesInFlight: framesInFlight, budgetMB: configuration.output.memoryBudget) {
            log.warning(shortfall)
        }
        if framesInFlight < Parallel.coreCount {
            log.info("\(framesInFlight) frames in flight on \(Parallel.coreCount) cores: each needs about \(FramesInFlight.needMB(frameBytes: frameBytes)) MB while it is "
                     + "calibrated, and output.memoryBudget is \(configuration.output.memoryBudget) MB (a larger budget lets more cores take a frame)")
        }
    }
}
