/// Batcher's odd–even merge sorting network for a fixed stack size: branch-free compare-exchanges, faster than
/// insertion sort on the noisy, unordered stacks integration sees (no branch mispredictions). Missing samples are
/// +∞ and end up last.
struct SortingNetwork: Sendable {
    let size: Int
    /// Comparator pairs (i < j) in execution order.
    let pairs: [(Int, Int)]
    /// The same pairs flattened (i₀, j₀, i₁, j₁, …) for the 8-pixel kernel `lerar_sort8`.
    let flatPairs: [Int32]

    init(size: Int) {
        self.size = size
        var pairs: [(Int, Int)] = []
        var powerOfTwo = 1
        while powerOfTwo < size { powerOfTwo <<= 1 }
        var p = 1
        while p < powerOfTwo {
            var k = p
            while k >= 1 {
                var j = k % p
                while j + k < powerOfTwo {
                    for i in 0..<k where i + j + k < powerOfTwo && (i + j) / (2 * p) == (i + j + k) / (2 * p) {
                        let a = i + j, b = i + j + k
                        // Indices past the stack hold +∞ and never move: their comparators are no-ops.
                        if b < size { pairs.append((a, b)) }
                    }
                    j += 2 * k
                }
                k /= 2
            }
            p <<= 1
        }
        self.pairs = pairs
        flatPairs = pairs.flatMap { [Int32($0.0), Int32($0.1)] }
    }

    /// Sorts `values[0..<size]` in place.
    @inline(__always)
    func sort(_ values: UnsafeMutablePointer<Float>) {
        pairs.withUnsafeBufferPointer { comparators in
            for (a, b) in comparators {
                let x = values[a], y = values[b]
                // Written as SSE's minss/maxss define them (no NaN handling: missing samples are +∞), so each is one instruction.
                values[a] = x < y ? x : y
                values[b] = x > y ? x : y
            }
        }
    }
}
