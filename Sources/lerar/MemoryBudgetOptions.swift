import ArgumentParser
import LerarIO
import LerarPipeline

/// `--memory-budget` of the single-stage commands: it bounds the whole frames worked on at once as `lerar run`'s
/// `output.memoryBudget` does, so a many-core machine with large frames does not hold one frame per core.
struct MemoryBudgetOptions: ParsableArguments {
    @Option(help: """
        MB for frames worked on at once, as lerar run's output.memoryBudget: one frame per core while about \
        \(DefaultText.numbers(FramesInFlight.imagesPerFrame)) frame images each fit, never fewer than two.
        """)
    var memoryBudget = PipelineConfiguration().output.memoryBudget

    func validate() throws {
        guard memoryBudget >= 8 else { throw ValidationError("--memory-budget must be at least 8 MB") }
    }

    /// Whole frames to work on at once for `files`, from the largest frame's header (Float32 samples).
    func frameWorkers(for files: [String]) throws -> Int {
        frameWorkers(headers: try files.map(ImageFile.readHeader))
    }

    /// The same from headers already read.
    func frameWorkers(headers: [ImageFileHeader]) -> Int {
        let frameBytes = headers.map { $0.width * $0.height * $0.channelCount * MemoryLayout<Float>.stride }.max() ?? 0
        return FramesInFlight.limit(frameBytes: frameBytes, budget: memoryBudget << 20)
    }
}
