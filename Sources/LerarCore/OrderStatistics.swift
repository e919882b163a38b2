/// Exact order statistics (k-th smallest) of large Float buffers without sorting: parallel histogram passes narrow
/// the value range to one bin, whose members are then gathered and quick-selected. O(n) per pass, 2–3 passes.
enum OrderStatistics {
    static let binCount = 16_384
    static let gatherLimit = 1 << 16

    /// The k-th and (k+1)-th smallest accepted samples (0-based; the second equals the first when k is the last).
    /// `count` is the number of accepted samples and `lower`/`upper` bound them.
    static func select<Filter: SampleFilter>(
        _ data: UnsafeBufferPointer<Float>, rank: Int, count: Int, lower: Float, upper: Float, filter: Filter.Type
    ) -> (Float, Float) {
        precondition(rank >= 0 && rank < count, "rank \(rank) outside 0..<\(count)")
        let shared = UnsafeSendable(data)
        var low = lower, high = upper, k = rank, membersLeft = count
        while true {
            if low == high {
                if k + 1 < membersLeft { return (low, low) }
                return (low, nextAbove(low, in: data, filter: filter) ?? low)
            }
            let scale = Double(binCount) / (Double(high) - Double(low))
            let (lo, hi) = (low, high)
            let histograms = Parallel.mapChunks(count: data.count, minimumChunkSize: 1 << 18) { range -> [Int32] in
                var histogram = [Int32](repeating: 0, count: binCount)
                let samples = shared.value
                histogram.withUnsafeMutableBufferPointer { bins in
                    for i in range {
                        let x = samples[i]
                        if Filter.accepts(x) && x >= lo && x <= hi { bins[bin(x, low: lo, scale: scale)] &+= 1 }
                    }
                }
                return histogram
            }
            var cumulative = 0, chosen = 0, members = 0
            for b in 0..<binCount {
                var inBin = 0
                for histogram in histograms { inBin += Int(histogram[b]) }
                if cumulative + inBin > k { chosen = b; members = inBin; break }
                cumulative += inBin
            }
            k -= cumulative
            membersLeft = members
            let target = chosen
            if members <= gatherLimit {
                let parts = Parallel.mapChunks(count: data.count, minimumChunkSize: 1 << 18) { range -> [Float] in
                    var part = [Float]()
                    let samples = shared.value
                    for i in range {
                        let x = samples[i]
                        if Filter.accepts(x) && x >= lo && x <= hi && bin(x, low: lo, scale: scale) == target { part.append(x) }
                    }
                    return part
                }
                var gathered = parts.flatMap { $0 }
                let value = QuickSelect.kthSmallest(&gathered, k)
                if k + 1 < gathered.count {
                    return (value, QuickSelect.kthSmallest(&gathered, k + 1, sortedBelow: k))
                }
                return (value, nextAbove(value, in: data, filter: filter) ?? value)
            }
            // Bin too crowded: shrink the range to its members' exact extent and histogram again.
            let extents = Parallel.mapChunks(count: data.count, minimumChunkSize: 1 << 18) { range -> (Float, Float) in
                var minimum = Float.infinity, maximum = -Float.infinity
                let samples = shared.value
                for i in range {
                    let x = samples[i]
                    if Filter.accepts(x) && x >= lo && x <= hi && bin(x, low: lo, scale: scale) == target {
                        minimum = min(minimum, x)
                        maximum = max(maximum, x)
                    }
                }
                return (minimum, maximum)
            }
            low = extents.map(\.0).min()!
            high = extents.map(\.1).max()!
        }
    }

    @inline(__always)
    static func bin(_ x: Float, low: Float, scale: Double) -> Int {
        min(binCount - 1, Int((Double(x) - Double(low)) * scale))
    }

    /// Smallest accepted sample strictly greater than `value`.
    static func nextAbove<Filter: SampleFilter>(_ value: Float, in data: UnsafeBufferPointer<Float>, filter: Filter.Type) -> Float? {
        let shared = UnsafeSendable(data)
        let minima = Parallel.mapChunks(count: data.count, minimumChunkSize: 1 << 18) { range -> Float in
            var best = Float.infinity
            for i in range { let x = shared.value[i]; if Filter.accepts(x) && x > value && x < best { best = x } }
            return best
        }
        let best = minima.min() ?? .infinity
        return best.isFinite ? best : nil
    }
}

/// In-place selection of the k-th smallest element (Hoare partition, median-of-three pivot).
public enum QuickSelect {
    /// The k-th smallest (0-based) of `values`, reordering them; `sortedBelow` says elements 0...sortedBelow are
    /// already the smallest ones in place (from an earlier call), so the search starts above.
    public static func kthSmallest(_ values: inout [Float], _ k: Int, sortedBelow: Int = -1) -> Float {
        precondition(k >= 0 && k < values.count, "k \(k) outside 0..<\(values.count)")
        return values.withUnsafeMutableBufferPointer { a in
            var left = sortedBelow + 1, right = a.count - 1
            while right > left {
                let middle = left + (right - left) / 2
                if a[middle] < a[left] { a.swapAt(middle, left) }
                if a[right] < a[left] { a.swapAt(right, left) }
                if a[right] < a[middle] { a.swapAt(right, middle) }
                let pivot = a[middle]
                var i = left, j = right
                while i <= j {
                    while a[i] < pivot { i += 1 }
                    while a[j] > pivot { j -= 1 }
                    if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
                }
                if k <= j { right = j } else if k >= i { left = i } else { return a[k] }
            }
            return a[k]
        }
    }
}
