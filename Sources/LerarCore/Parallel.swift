import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Wraps a value (typically an unsafe pointer) that the caller guarantees is used race-free,
/// e.g. each concurrent chunk touches a disjoint range.
public struct UnsafeSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}

/// Data-parallel loops over index ranges, over-decomposed into 16–64 chunks
/// (measured: 2 chunks on 2 cores is slower than 16–64; see shared/reference/swift-on-linux.md §3c).
public enum Parallel {
    /// Number of active cores, or `LERAR_CORES` where set: benchmarks use it to run as many whole-frame workers as a
    /// larger machine would (their threads share this machine's cores), so its memory can be measured here.
    public static let coreCount: Int = {
        if let text = ProcessInfo.processInfo.environment["LERAR_CORES"], let cores = Int(text), cores > 0 { return cores }
        return ProcessInfo.processInfo.activeProcessorCount
    }()

    /// Splits `0..<count` into contiguous ranges of at least `minimumChunkSize` elements, at most 64 of them.
    public static func chunkRanges(count: Int, minimumChunkSize: Int = 16_384) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let maxChunks = min(64, max(16, coreCount * 8))
        let chunks = max(1, min(maxChunks, count / max(1, minimumChunkSize)))
        let base = count / chunks, extra = count % chunks
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(chunks)
        var start = 0
        for i in 0..<chunks {
            let length = base + (i < extra ? 1 : 0)
            ranges.append(start..<(start + length))
            start += length
        }
        return ranges
    }

    /// Runs `body` on disjoint chunks of `0..<count`, concurrently when there is more than one chunk.
    public static func forEachChunk(count: Int, minimumChunkSize: Int = 16_384, _ body: @Sendable (Range<Int>) -> Void) {
        let ranges = chunkRanges(count: count, minimumChunkSize: minimumChunkSize)
        if ranges.count == 1 { body(ranges[0]); return }
        ranges.withUnsafeBufferPointer { rangesPointer in
            let shared = UnsafeSendable(rangesPointer)
            DispatchQueue.concurrentPerform(iterations: ranges.count) { body(shared.value[$0]) }
        }
    }

    /// Maps each chunk of `0..<count` to a partial result, concurrently; results are in chunk order.
    public static func mapChunks<Result>(
        count: Int, minimumChunkSize: Int = 16_384, _ body: @Sendable (Range<Int>) -> Result
    ) -> [Result] {
        let ranges = chunkRanges(count: count, minimumChunkSize: minimumChunkSize)
        if ranges.count <= 1 { return ranges.map(body) }
        let results = UnsafeMutableBufferPointer<Result>.allocate(capacity: ranges.count)
        defer { results.deinitialize(); results.deallocate() }
        ranges.withUnsafeBufferPointer { rangesPointer in
            let shared = UnsafeSendable((rangesPointer, results))
            DispatchQueue.concurrentPerform(iterations: ranges.count) { index in
                (shared.value.1.baseAddress! + index).initialize(to: body(shared.value.0[index]))
            }
        }
        return Array(results)
    }

    /// Runs `body(i)` for every `i` in `0..<iterations` concurrently (one task per item, e.g. per file or per row band).
    public static func forEach(iterations: Int, _ body: @Sendable (Int) -> Void) {
        if iterations == 1 { body(0); return }
        if iterations > 1 { DispatchQueue.concurrentPerform(iterations: iterations, execute: body) }
    }

    /// Fewest whole-frame workers where there are as many cores: one frame computing while another is read or
    /// written (with one, calibrating 8 × 4096² frames took 12.3 s instead of 8.7 s on 2 cores).
    public static let minimumFrameWorkers = 2

    /// Whole frames to work on at once: one per core while each one's `imagesPerFrame` images of `frameBytes`
    /// fit `budget` bytes, never fewer than `minimumFrameWorkers`, so memory stays bounded whatever the cores.
    public static func frameWorkers(frameBytes: Int, imagesPerFrame: Double, budget: Int, cores: Int = coreCount) -> Int {
        let perFrame = max(1, Int((Double(frameBytes) * imagesPerFrame).rounded(.up)))
        return max(1, min(cores, max(minimumFrameWorkers, budget / perFrame)))
    }

    /// Runs `body(i)` for every `i` in `0..<iterations` on at most `workers` threads (fewer when there are fewer
    /// items), each taking the next index when it is done: whole frames in flight are bounded by `workers` while
    /// the chunked loops inside `body` still use every core. Threads of their own rather than the dispatch pool, so
    /// `workers` frames really are in flight at once whatever the pool's width.
    public static func forEach(iterations: Int, workers: Int, _ body: @Sendable (Int) -> Void) {
        let count = min(max(1, workers), iterations)
        guard count > 1 else { for index in 0..<iterations { body(index) }; return }
        let next = Tally()
        withoutActuallyEscaping(body) { body in
            let work = WorkerBody {
                while true {
                    let index = next.next() - 1
                    if index >= iterations { break }
                    body(index)
                }
            }
            // Joined before returning, so `body` never outlives this call.
            var threads: [pthread_t] = []
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            pthread_attr_setstacksize(&attributes, 8 << 20)
            defer { pthread_attr_destroy(&attributes) }
            for _ in 0..<count {
                var thread = pthread_t()
                let context = Unmanaged.passRetained(work).toOpaque()
                if pthread_create(&thread, &attributes, { context in
                    Unmanaged<WorkerBody>.fromOpaque(context!).takeRetainedValue().run()
                    return nil
                }, context) == 0 {
                    threads.append(thread)
                } else {
                    Unmanaged<WorkerBody>.fromOpaque(context).release()
                    work.run()  // No thread to be had: this one does the work.
                }
            }
            for thread in threads { pthread_join(thread, nil) }
        }
    }
}

/// A worker thread's loop, boxed to pass through pthread_create.
private final class WorkerBody: @unchecked Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}
