import LerarCore

extension BackgroundGrid {
    /// Median after three rounds of clipping at 3 σ (σ from MAD), which removes stars from a sky cell; sorts `values`.
    /// The samples are sorted once (radix), so each round's median is a lookup, its MAD a search over the deviations
    /// rising to either side of the median, and its clipping a pair of binary searches: the values selection gave
    /// (quickselect, seven times per cell, was an eighth of a run), at a fraction of the cost.
    public static func clippedMedian(_ values: inout [Float]) -> Double {
        guard values.count >= 16 else { return .nan }
        RadixSort.sort(&values)
        return values.withUnsafeBufferPointer { sorted in
            var lower = 0, upper = sorted.count
            for _ in 0..<3 {
                let median = sortedMedian(sorted, lower..<upper)
                let sigma = 1.4826 * medianDeviation(sorted, lower..<upper, from: median)
                guard sigma > 0 else { return Double(median) }
                let low = median - 3 * sigma, high = median + 3 * sigma
                let first = partitionPoint(sorted, lower..<upper) { $0 >= low }
                let end = partitionPoint(sorted, first..<upper) { $0 > high }
                if end - first == upper - lower || end - first < 16 { return Double(median) }
                (lower, upper) = (first, end)
            }
            return Double(sortedMedian(sorted, lower..<upper))
        }
    }

    /// Median of a sorted non-empty range, as `selectMedian` gives it (the two central values averaged in Float).
    static func sortedMedian(_ sorted: UnsafeBufferPointer<Float>, _ range: Range<Int>) -> Float {
        let middle = range.lowerBound + range.count / 2
        return range.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// First index of `range` whose sample satisfies `isAbove` (false then true along the sorted range).
    static func partitionPoint(_ sorted: UnsafeBufferPointer<Float>, _ range: Range<Int>, _ isAbove: (Float) -> Bool) -> Int {
        var low = range.lowerBound, high = range.upperBound
        while low < high {
            let middle = (low + high) / 2
            if isAbove(sorted[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Median of |x − median| over a sorted range, as selection over the deviations gives it. Left of the median the
    /// deviations rise leftward, right of it rightward: two sorted lists, whose k-th smallest is found by bisection.
    static func medianDeviation(_ sorted: UnsafeBufferPointer<Float>, _ range: Range<Int>, from median: Float) -> Float {
        let split = partitionPoint(sorted, range) { $0 >= median }
        let leftCount = split - range.lowerBound, rightCount = range.upperBound - split
        // |x − m| in Float equals m − x for x below m (rounding is symmetric), so each side is monotone.
        let left = { (i: Int) -> Float in median - sorted[split - 1 - i] }
        let right = { (j: Int) -> Float in sorted[split + j] - median }
        /// The k-th smallest (0-based) of both lists.
        func smallest(_ k: Int) -> Float {
            let taken = k + 1
            var low = max(0, taken - rightCount), high = min(taken, leftCount)
            while low < high { // fewest taken from the left such that the next left one is not below the last right one
                let fromLeft = (low + high) / 2
                if left(fromLeft) < right(taken - fromLeft - 1) { low = fromLeft + 1 } else { high = fromLeft }
            }
            let lastLeft = low > 0 ? left(low - 1) : -Float.infinity, lastRight = taken - low > 0 ? right(taken - low - 1) : -Float.infinity
            return max(lastLeft, lastRight)
        }
        let count = range.count, upper = smallest(count / 2)
        return count % 2 == 1 ? upper : (smallest(count / 2 - 1) + upper) / 2
    }
}
