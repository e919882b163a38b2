import Dispatch
import Foundation

/// Wraps a value (typically an unsafe pointer) that the caller guarantees is used race-free,
/// e.g. each concurrent chunk touches a disjoint range.
public struct UnsafeSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}

/// Data-parallel loops over index ranges, over-decomposed into 16–64 chunks
/// (measured: 2 chunks on 2 cores is slower than 16–64; see shared/reference/swift-on-linux.md §3c).
public enum Parallel {
    /// Number of active cores.
    public static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }

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
}
