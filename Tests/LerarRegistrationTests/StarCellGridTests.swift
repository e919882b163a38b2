import Foundation
import Testing
@testable import LerarCore
@testable import LerarRegistration

/// Pairs found through the cell grid are the pairs a scan of every catalogue star finds: each image star's nearest
/// catalogue star within the tolerance, kept when no earlier image star took it.
@Suite struct StarCellGridTests {
    static func scanPairs(_ image: [StarMatcher.Point], _ catalogue: [StarMatcher.Point], _ transform: ProjectiveTransform2D,
                          tolerance: Double) -> [(Int, Int)] {
        var pairs: [(Int, Int)] = [], used = Set<Int>()
        for (index, star) in image.enumerated() {
            let q = transform.apply(star.x, star.y)
            var best = -1, bestDistance = tolerance
            for (candidate, c) in catalogue.enumerated() {
                let distance = hypot(c.x - q.x, c.y - q.y)
                if distance < bestDistance { bestDistance = distance; best = candidate }
            }
            if best >= 0 && used.insert(best).inserted { pairs.append((index, best)) }
        }
        return pairs
    }

    @Test(arguments: [0.5, 1.5, 4.5])
    func gridPairsEqualAScanOfEveryStar(tolerance: Double) {
        var random = SeededRandom(seed: 17)
        // Dense enough for neighbours to compete within the tolerance; negative coordinates too (a rotated frame).
        let catalogue = (0..<3000).map { _ in (x: random.uniform() * 900 - 50, y: random.uniform() * 700 - 50) }
        let shift = AffineTransform2D(a: cos(0.3), b: -sin(0.3), c: 12.5, d: sin(0.3), e: cos(0.3), f: -7.25)
        let inverse = shift.inverted!
        // Image stars: the catalogue's mapped back with jitter, some missing, some extra.
        var image: [StarMatcher.Point] = []
        for (i, star) in catalogue.enumerated() where i % 7 != 0 {
            let p = inverse.apply(star.x, star.y)
            image.append((x: p.x + random.gaussian() * 0.6, y: p.y + random.gaussian() * 0.6))
        }
        for _ in 0..<200 { image.append((x: random.uniform() * 900, y: random.uniform() * 700)) }
        let transform = ProjectiveTransform2D(shift)
        let grid = StarCellGrid(catalogue, tolerance: tolerance).nearestPairs(image, transform)
        let scan = Self.scanPairs(image, catalogue, transform, tolerance: tolerance)
        #expect(grid.count == scan.count && zip(grid, scan).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }, "\(grid.count) grid pairs, \(scan.count) by scan")
        #expect(scan.count > 500)
        // The same grid asked again (as RANSAC asks it for every hypothesis) answers the same.
        let again = StarCellGrid(catalogue, tolerance: tolerance)
        #expect(again.nearestPairs(image, transform).count == again.nearestPairs(image, transform).count)
    }

    @Test func anEmptyCatalogueOrImageGivesNoPairs() {
        let transform = ProjectiveTransform2D(AffineTransform2D(a: 1, b: 0, c: 0, d: 0, e: 1, f: 0))
        #expect(StarCellGrid([], tolerance: 1).nearestPairs([(x: 1, y: 1)], transform).isEmpty)
        #expect(StarCellGrid([(x: 1, y: 1)], tolerance: 1).nearestPairs([], transform).isEmpty)
    }
}
