import Foundation
import LerarCore

/// Wall time per stage of a run, exclusive of the stages nested in it (calibration started by registration counts
/// as calibration), so the table adds up to the run's time and benchmarks can compare stages with Siril's.
struct StageClock {
    private var open: [(stage: String, start: Date, nested: Double)] = []
    /// Seconds per stage, in the order the stages first ran.
    private(set) var seconds: [(stage: String, seconds: Double)] = []
    /// The process's peak RSS when each stage last stopped, MiB.
    private(set) var peakResidentMB: [String: Int] = [:]

    mutating func start(_ stage: String) { open.append((stage, Date(), 0)) }

    mutating func stop() {
        guard let last = open.popLast() else { return }
        let elapsed = Date().timeIntervalSince(last.start)
        if !open.isEmpty { open[open.count - 1].nested += elapsed }
        let own = max(0, elapsed - last.nested)
        if let index = seconds.firstIndex(where: { $0.stage == last.stage }) { seconds[index].seconds += own }
        else { seconds.append((last.stage, own)) }
        peakResidentMB[last.stage] = ProcessMemory.peakResidentBytes >> 20
    }
}

extension PipelineRunner {
    /// Runs `body` as `stage` on the run's stage clock.
    func timed<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        clock.start(stage)
        defer { clock.stop() }
        return try body()
    }
}
