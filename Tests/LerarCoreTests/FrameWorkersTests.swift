import Foundation
import Testing
@testable import LerarCore

/// Whole-frame workers: how many there are, and that no more than that run at once.
@Suite struct FrameWorkersTests {
    @Test func frameWorkersFollowTheBudgetNotTheCores() {
        let mib = 1 << 20
        // 2048² Float32 frames (16 MiB) needing 3 images each: 512 MiB holds 10 of them.
        #expect(Parallel.frameWorkers(frameBytes: 16 * mib, imagesPerFrame: 3, budget: 512 * mib, cores: 32) == 10)
        #expect(Parallel.frameWorkers(frameBytes: 16 * mib, imagesPerFrame: 3, budget: 512 * mib, cores: 4) == 4)
        // 60-megapixel frames on 32 cores: the floor of two, not 32 frames of about 720 MiB each.
        #expect(Parallel.frameWorkers(frameBytes: 240 * mib, imagesPerFrame: 3, budget: 512 * mib, cores: 32) == 2)
        #expect(Parallel.frameWorkers(frameBytes: 240 * mib, imagesPerFrame: 3, budget: 8 * 1024 * mib, cores: 32) == 11)
        // One core: one worker, whatever the budget.
        #expect(Parallel.frameWorkers(frameBytes: 16 * mib, imagesPerFrame: 3, budget: 512 * mib, cores: 1) == 1)
        #expect(Parallel.frameWorkers(frameBytes: 0, imagesPerFrame: 3, budget: 512 * mib, cores: 8) == 8)
    }

    @Test func atMostTheGivenWorkersRunAtOnceAndEveryIndexRunsOnce() {
        for workers in [1, 3, 8] {
            let lock = NSLock()
            nonisolated(unsafe) var running = 0, mostAtOnce = 0
            nonisolated(unsafe) var seen = [Int](repeating: 0, count: 50)
            Parallel.forEach(iterations: 50, workers: workers) { index in
                lock.withLock { running += 1; mostAtOnce = max(mostAtOnce, running); seen[index] += 1 }
                usleep(2_000)  // Long enough for every worker to be inside at once.
                lock.withLock { running -= 1 }
            }
            #expect(seen.allSatisfy { $0 == 1 })
            #expect(mostAtOnce <= workers, "workers \(workers): \(mostAtOnce) ran at once")
            #expect(workers == 1 || mostAtOnce > 1, "workers \(workers): they ran one at a time")
        }
        // Fewer items than workers: one thread per item.
        let count = Tally()
        Parallel.forEach(iterations: 2, workers: 16) { _ in _ = count.next() }
        #expect(count.count == 2)
    }
}
