import Foundation

/// Star correspondences voted by similar triangles (Groth 1986; Valdes et al. 1995; Siril and astroalign do the
/// same): every triangle of bright stars is described by its side ratios, which survive shifts, rotations and scale;
/// a triangle of the image and one of the catalogue with the same ratios and the same orientation vote for their
/// three vertex pairs.
enum TriangleVoting {
    typealias Point = (x: Double, y: Double)

    struct Triangle {
        /// Middle and shortest side over the longest one.
        var middleRatio: Double, shortestRatio: Double
        /// Vertices opposite the longest, middle and shortest sides.
        var vertices: (Int, Int, Int)
        /// Counter-clockwise in that vertex order; mirror images have the other orientation.
        var counterClockwise: Bool
    }

    /// Shortest side allowed, px: below it centroid errors (≤ 0.3 px at low SNR) blur the ratios.
    static let shortestSide = 15.0

    static func triangles(_ points: [Point]) -> [Triangle] {
        var result: [Triangle] = []
        let n = points.count
        for i in 0..<n { for j in (i + 1)..<n { for k in (j + 1)..<n {
            var sides = [(hypot(points[j].x - points[k].x, points[j].y - points[k].y), i),
                         (hypot(points[i].x - points[k].x, points[i].y - points[k].y), j),
                         (hypot(points[i].x - points[j].x, points[i].y - points[j].y), k)]
            sides.sort { $0.0 > $1.0 }
            // Thin triangles have unstable vertex order and orientation.
            guard sides[2].0 >= shortestSide, sides[2].0 / sides[0].0 > 0.1 else { continue }
            let (v0, v1, v2) = (sides[0].1, sides[1].1, sides[2].1)
            let cross = (points[v1].x - points[v0].x) * (points[v2].y - points[v0].y) - (points[v1].y - points[v0].y) * (points[v2].x - points[v0].x)
            result.append(Triangle(middleRatio: sides[1].0 / sides[0].0, shortestRatio: sides[2].0 / sides[0].0,
                                   vertices: (v0, v1, v2), counterClockwise: cross > 0))
        } } }
        return result
    }

    /// (image index, catalogue index) pairs with at least two votes, best-voted first, at most the two best
    /// partners per image star.
    static func correspondences(_ image: [Point], _ catalogue: [Point], tolerance: Double = 0.008) -> [(Int, Int)] {
        let ours = triangles(image), theirs = triangles(catalogue).sorted { $0.middleRatio < $1.middleRatio }
        let keys = theirs.map(\.middleRatio)
        var votes = [Int](repeating: 0, count: image.count * catalogue.count)
        for triangle in ours {
            // First catalogue triangle with middleRatio ≥ ours − tolerance (binary search), then scan the window.
            var low = 0, high = keys.count
            while low < high { let mid = (low + high) / 2; if keys[mid] < triangle.middleRatio - tolerance { low = mid + 1 } else { high = mid } }
            var index = low
            while index < theirs.count, keys[index] <= triangle.middleRatio + tolerance {
                let other = theirs[index]
                index += 1
                guard abs(other.shortestRatio - triangle.shortestRatio) <= tolerance, other.counterClockwise == triangle.counterClockwise else { continue }
                votes[triangle.vertices.0 * catalogue.count + other.vertices.0] += 1
                votes[triangle.vertices.1 * catalogue.count + other.vertices.1] += 1
                votes[triangle.vertices.2 * catalogue.count + other.vertices.2] += 1
            }
        }
        var result: [(pair: (Int, Int), votes: Int)] = []
        for i in 0..<image.count {
            let row = (0..<catalogue.count).map { ($0, votes[i * catalogue.count + $0]) }.filter { $0.1 >= 2 }.sorted { $0.1 > $1.1 }
            for (k, count) in row.prefix(2) { result.append(((i, k), count)) }
        }
        return result.sorted { $0.votes > $1.votes }.map(\.pair)
    }
}
