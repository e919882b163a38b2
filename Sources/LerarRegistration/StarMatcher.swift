import Foundation
import LerarCore

/// Finds the transform from an image's stars to a catalogue's: a similarity from pairs of bright stars
/// (any rotation, flips excluded), voted by how many stars it lines up, then a least-squares affine refit.
public enum StarMatcher {
    public struct Match: Sendable {
        /// Maps image px to catalogue px.
        public var transform: AffineTransform2D
        /// Matched (image index, catalogue index) pairs.
        public var pairs: [(Int, Int)]
        /// RMS residual of matched stars after the refit, px.
        public var rms: Double
    }

    public static func match(image: [(x: Double, y: Double)], catalogue: [(x: Double, y: Double)],
                             brightImage: Int = 12, brightCatalogue: Int = 40, tolerance: Double = 1.5) -> Match? {
        let a = Array(image.prefix(brightImage)), b = Array(catalogue.prefix(brightCatalogue))
        guard a.count >= 3, b.count >= 3 else { return nil }
        var best: (AffineTransform2D, Int)?
        for i in 0..<a.count { for j in (i + 1)..<a.count {
            let da = hypot(a[j].x - a[i].x, a[j].y - a[i].y)
            guard da > 20 else { continue }
            for k in 0..<b.count { for l in 0..<b.count where l != k {
                let db = hypot(b[l].x - b[k].x, b[l].y - b[k].y)
                guard abs(db - da) < 2 * tolerance else { continue }
                let angle = atan2(b[l].y - b[k].y, b[l].x - b[k].x) - atan2(a[j].y - a[i].y, a[j].x - a[i].x)
                let rotation = AffineTransform2D.rotation(angle, about: (0, 0))
                let moved = rotation.apply(a[i].x, a[i].y)
                var candidate = rotation
                candidate.c = b[k].x - moved.x
                candidate.f = b[k].y - moved.y
                let votes = a.filter { p in let q = candidate.apply(p.x, p.y); return b.contains { hypot($0.x - q.x, $0.y - q.y) < 2 * tolerance } }.count
                if votes > (best?.1 ?? 2) { best = (candidate, votes) }
            } }
        } }
        guard var transform = best?.0 else { return nil }
        // Refit with ever tighter pairing, and fit only the pairs within 3× the median residual, so blends and
        // chance neighbours cannot pull the solution.
        for pairing in [3 * tolerance, 2 * tolerance, tolerance, tolerance] {
            let pairs = nearestPairs(image, catalogue, transform, tolerance: pairing)
            let residuals = pairs.map { residual($0, image, catalogue, transform) }
            guard let limit = medianOf(residuals).map({ max(0.05, 3 * $0) }) else { break }
            let core = zip(pairs, residuals).filter { $0.1 <= limit }.map { (image[$0.0.0], catalogue[$0.0.1]) }
            guard core.count >= 3, let refit = leastSquaresAffine(core) else { break }
            transform = refit
        }
        let pairs = nearestPairs(image, catalogue, transform, tolerance: tolerance)
        guard pairs.count >= 3 else { return nil }
        let squared = pairs.map { pow(residual($0, image, catalogue, transform), 2) }
        return Match(transform: transform, pairs: pairs, rms: (squared.reduce(0, +) / Double(squared.count)).squareRoot())
    }

    static func residual(_ pair: (Int, Int), _ image: [(x: Double, y: Double)], _ catalogue: [(x: Double, y: Double)], _ transform: AffineTransform2D) -> Double {
        let q = transform.apply(image[pair.0].x, image[pair.0].y)
        return hypot(q.x - catalogue[pair.1].x, q.y - catalogue[pair.1].y)
    }

    static func medianOf(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// Mutual nearest neighbours within `tolerance` px after mapping image stars by `transform`.
    static func nearestPairs(_ image: [(x: Double, y: Double)], _ catalogue: [(x: Double, y: Double)], _ transform: AffineTransform2D,
                             tolerance: Double) -> [(Int, Int)] {
        // Bucket the catalogue on a grid of tolerance-sized cells for speed.
        var grid: [Int: [Int]] = [:]
        func key(_ x: Double, _ y: Double) -> Int { Int((x / tolerance).rounded(.down)) &* 1_000_003 &+ Int((y / tolerance).rounded(.down)) }
        for (index, star) in catalogue.enumerated() { grid[key(star.x, star.y), default: []].append(index) }
        var pairs: [(Int, Int)] = [], used = Set<Int>()
        for (index, star) in image.enumerated() {
            let q = transform.apply(star.x, star.y)
            var bestIndex = -1, bestDistance = tolerance
            let cx = Int((q.x / tolerance).rounded(.down)), cy = Int((q.y / tolerance).rounded(.down))
            for dx in -1...1 { for dy in -1...1 {
                for candidate in grid[(cx + dx) &* 1_000_003 &+ (cy + dy)] ?? [] {
                    let distance = hypot(catalogue[candidate].x - q.x, catalogue[candidate].y - q.y)
                    if distance < bestDistance { bestDistance = distance; bestIndex = candidate }
                }
            } }
            if bestIndex >= 0 && used.insert(bestIndex).inserted { pairs.append((index, bestIndex)) }
        }
        return pairs
    }

    /// Affine map minimising the squared distances of `pairs` (from → to); nil when degenerate.
    public static func leastSquaresAffine(_ pairs: [((x: Double, y: Double), (x: Double, y: Double))]) -> AffineTransform2D? {
        guard pairs.count >= 3 else { return nil }
        // Normal equations for [x y 1]·[a b c]ᵀ = X and the same for Y, centred for conditioning.
        let mx = pairs.map(\.0.x).reduce(0, +) / Double(pairs.count), my = pairs.map(\.0.y).reduce(0, +) / Double(pairs.count)
        var sxx = 0.0, sxy = 0.0, syy = 0.0, sxX = 0.0, syX = 0.0, sxY = 0.0, syY = 0.0, sX = 0.0, sY = 0.0
        for (from, to) in pairs {
            let x = from.x - mx, y = from.y - my
            sxx += x * x; sxy += x * y; syy += y * y
            sxX += x * to.x; syX += y * to.x; sxY += x * to.y; syY += y * to.y
            sX += to.x; sY += to.y
        }
        let determinant = sxx * syy - sxy * sxy
        guard abs(determinant) > 1e-9 else { return nil }
        let a = (sxX * syy - syX * sxy) / determinant, b = (syX * sxx - sxX * sxy) / determinant
        let d = (sxY * syy - syY * sxy) / determinant, e = (syY * sxx - sxY * sxy) / determinant
        let n = Double(pairs.count)
        return AffineTransform2D(a: a, b: b, c: sX / n - a * mx - b * my, d: d, e: e, f: sY / n - d * mx - e * my)
    }
}
