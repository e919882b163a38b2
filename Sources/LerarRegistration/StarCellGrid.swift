import Foundation
import LerarCore

/// A catalogue's stars bucketed on a grid of `tolerance`-sized cells, for the nearest catalogue star of a point:
/// built once and asked many times (RANSAC votes hundreds of hypotheses against the same bright stars). The cells
/// are runs of one index array sorted by cell, found through an open-addressing table, where a dictionary of arrays
/// hashed every lookup with SipHash and allocated an array per cell: star matching was a frame's largest serial cost
/// after its file write (stop 34). Candidates come in the same order as before (cells row by row of the 3 × 3
/// neighbourhood, stars by index within a cell), so ties resolve the same way.
struct StarCellGrid: Sendable {
    let catalogue: [StarMatcher.Point]
    let tolerance: Double
    /// Catalogue indices sorted by cell (by index within a cell).
    private let order: [Int32]
    /// Open-addressing table: cell key, and where its run starts and ends in `order` (`start < 0`: empty slot).
    private let keys: [Int], starts: [Int32], ends: [Int32]
    private let mask: Int

    init(_ catalogue: [StarMatcher.Point], tolerance: Double) {
        self.catalogue = catalogue
        self.tolerance = tolerance
        let cellKeys = catalogue.map { Self.key(Self.cell($0.x, tolerance), Self.cell($0.y, tolerance)) }
        // By cell, by index within a cell (a stable sort: the indices are in order).
        var sortedPairs = cellKeys.enumerated().map { (key: $0.element, index: $0.offset) }
        sortedPairs.sort { $0.key < $1.key || ($0.key == $1.key && $0.index < $1.index) }
        let sorted = sortedPairs.map(\.index)
        order = sorted.map { Int32($0) }
        var capacity = 16
        while capacity < 2 * catalogue.count { capacity <<= 1 }
        mask = capacity - 1
        var keys = [Int](repeating: 0, count: capacity), starts = [Int32](repeating: -1, count: capacity), ends = [Int32](repeating: -1, count: capacity)
        var position = 0
        while position < sorted.count {
            let key = cellKeys[sorted[position]]
            var end = position + 1
            while end < sorted.count && cellKeys[sorted[end]] == key { end += 1 }
            var slot = Self.slot(key, mask)
            while starts[slot] >= 0 { slot = (slot + 1) & mask }
            keys[slot] = key
            starts[slot] = Int32(position)
            ends[slot] = Int32(end)
            position = end
        }
        self.keys = keys
        self.starts = starts
        self.ends = ends
    }

    @inline(__always) static func cell(_ coordinate: Double, _ tolerance: Double) -> Int { Int((coordinate / tolerance).rounded(.down)) }
    @inline(__always) static func key(_ cx: Int, _ cy: Int) -> Int { cx &* 1_000_003 &+ cy }
    @inline(__always) static func slot(_ key: Int, _ mask: Int) -> Int { Int(truncatingIfNeeded: (UInt64(bitPattern: Int64(key)) &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask }

    /// The run of `order` holding the stars of the cell with `key` (empty when none).
    @inline(__always) private func run(_ key: Int) -> Range<Int> {
        var slot = Self.slot(key, mask)
        while starts[slot] >= 0 {
            if keys[slot] == key { return Int(starts[slot])..<Int(ends[slot]) }
            slot = (slot + 1) & mask
        }
        return 0..<0
    }

    /// Mutual nearest neighbours within `tolerance` px after mapping image stars by `transform`: each image star's
    /// nearest catalogue star, kept when no earlier image star took it. The nearest stars of a frame's thousands are
    /// found in parallel chunks (a frame's pairing ran on its thread alone; stop 34), then taken in order.
    func nearestPairs(_ image: [StarMatcher.Point], _ transform: ProjectiveTransform2D) -> [(Int, Int)] {
        let bests = Parallel.mapChunks(count: image.count, minimumChunkSize: 1024) { chunk in chunk.map { self.nearest(to: image[$0], transform) } }.flatMap { $0 }
        var pairs: [(Int, Int)] = []
        var used = [Bool](repeating: false, count: catalogue.count)
        for (index, best) in bests.enumerated() where best >= 0 && !used[best] {
            used[best] = true
            pairs.append((index, best))
        }
        return pairs
    }

    /// The catalogue star nearest to `star` mapped by `transform`, within `tolerance` px; -1 when none.
    @inline(__always) func nearest(to star: StarMatcher.Point, _ transform: ProjectiveTransform2D) -> Int {
        let q = transform.apply(star.x, star.y)
        var bestIndex = -1, bestDistance = tolerance
        let cx = Self.cell(q.x, tolerance), cy = Self.cell(q.y, tolerance)
        for dx in -1...1 { for dy in -1...1 {
            for position in run(Self.key(cx + dx, cy + dy)) {
                let candidate = Int(order[position])
                let distance = hypot(catalogue[candidate].x - q.x, catalogue[candidate].y - q.y)
                if distance < bestDistance { bestDistance = distance; bestIndex = candidate }
            }
        } }
        return bestIndex
    }
}
