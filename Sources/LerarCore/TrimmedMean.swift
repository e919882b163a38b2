extension RobustStatistics {
    /// Mean of the finite samples after dropping ⌊n·`cut`⌋ of the lowest and as many of the highest (at least one
    /// sample is kept): the value a sort and a slice would give, found with two order statistics and one pass, so a
    /// 60-megapixel flat is neither copied nor sorted. NaN when no sample is finite.
    public static func trimmedMean(_ samples: UnsafeBufferPointer<Float>, cut: Double) -> Double {
        let m = moments(samples, filter: FiniteSamples.self)
        let n = m.count
        guard n > 0 else { return .nan }
        let dropped = Int((Double(n) * cut).rounded(.down)), kept = max(1, n - 2 * dropped)
        let low = OrderStatistics.select(samples, rank: dropped, count: n, lower: m.minimum, upper: m.maximum, filter: FiniteSamples.self).0
        let high = OrderStatistics.select(samples, rank: dropped + kept - 1, count: n, lower: m.minimum, upper: m.maximum, filter: FiniteSamples.self).0
        if low == high { return Double(low) }
        // Sorted, the samples are: below `low`, equal to it, strictly between, equal to `high`, above it. The slice
        // [dropped, dropped + kept) holds all of the middle and the last of the `low` and the first of the `high` ones.
        struct Tally: Sendable { var sum = 0.0, belowOrAtLow = 0, atOrAboveHigh = 0 }
        let shared = UnsafeSendable(samples)
        let parts = Parallel.mapChunks(count: samples.count, minimumChunkSize: 1 << 16) { range -> Tally in
            var tally = Tally()
            for i in range {
                let x = shared.value[i]
                guard x.isFinite else { continue }
                if x <= low { tally.belowOrAtLow += 1 } else if x >= high { tally.atOrAboveHigh += 1 } else { tally.sum += Double(x) }
            }
            return tally
        }
        let sum = parts.reduce(0) { $0 + $1.sum }
        let lowKept = parts.reduce(0) { $0 + $1.belowOrAtLow } - dropped
        let highKept = parts.reduce(0) { $0 + $1.atOrAboveHigh } - (n - dropped - kept)
        return (sum + Double(lowKept) * Double(low) + Double(highKept) * Double(high)) / Double(kept)
    }
}
