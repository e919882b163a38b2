import Foundation
import LerarCore

/// Finds the transform from an image's stars to a catalogue's (shared/reference/registration.md §3): similar
/// triangles of bright stars (side-ratio descriptors, orientation kept, so any rotation and scale) vote for star
/// correspondences; RANSAC over two-point similarities picks the map most stars agree with; then least-squares refits
/// of the chosen model on every matched star, with ever tighter pairing and outliers left out.
public enum StarMatcher {
    public struct Match: Sendable {
        /// Maps image px to catalogue px.
        public var transform: ProjectiveTransform2D
        /// Matched (image index, catalogue index) pairs.
        public var pairs: [(Int, Int)]
        /// RMS residual of matched stars after the refit, px.
        public var rms: Double
    }

    public typealias Point = (x: Double, y: Double)

    public static func match(image: [Point], catalogue: [Point], model: TransformModel = .affine,
                             brightImage: Int = 25, brightCatalogue: Int = 40, tolerance: Double = 1.5) -> Match? {
        let a = Array(image.prefix(brightImage)), b = Array(catalogue.prefix(brightCatalogue))
        guard a.count >= 3, b.count >= 3 else { return nil }
        let candidates = TriangleVoting.correspondences(a, b)
        guard let seed = consensus(candidates, a, b, tolerance: 2 * tolerance) else { return nil }
        var transform = ProjectiveTransform2D(seed)
        // Refit with ever tighter pairing, and fit only the pairs within 3× the median residual, so blends and
        // chance neighbours cannot pull the solution. The similarity seed is refined as affine first, so a
        // homography starts from a good guess.
        let stages: [(Double, TransformModel)] = [(3 * tolerance, model == .similarity ? .similarity : .affine),
                                                  (2 * tolerance, model), (tolerance, model), (tolerance, model)]
        // One grid of the catalogue per pairing distance (the last stages and the final pairing share one).
        var grids: [Double: StarCellGrid] = [:]
        func grid(_ tolerance: Double) -> StarCellGrid {
            if let built = grids[tolerance] { return built }
            let built = StarCellGrid(catalogue, tolerance: tolerance)
            grids[tolerance] = built
            return built
        }
        for (pairing, stageModel) in stages {
            let pairs = grid(pairing).nearestPairs(image, transform)
            let residuals = pairs.map { residual($0, image, catalogue, transform) }
            let median = BackgroundGrid.median(residuals)
            guard median.isFinite else { break }
            let limit = max(0.05, 3 * median)
            let core = zip(pairs, residuals).filter { $0.1 <= limit }.map { (image[$0.0.0], catalogue[$0.0.1]) }
            guard core.count >= max(3, stageModel.minimumPairs + 1), let refit = stageModel.fit(core) else { break }
            transform = refit
        }
        let pairs = grid(tolerance).nearestPairs(image, transform)
        guard pairs.count >= 3 else { return nil }
        let squared = pairs.map { pow(residual($0, image, catalogue, transform), 2) }
        return Match(transform: transform, pairs: pairs, rms: (squared.reduce(0, +) / Double(squared.count)).squareRoot())
    }

    /// RANSAC over pairs of candidate correspondences: the two-point similarity that lines up most bright stars.
    /// Deterministic: the best-voted candidates are tried exhaustively, then a fixed-seed random sample of the rest.
    static func consensus(_ candidates: [(Int, Int)], _ a: [Point], _ b: [Point], tolerance: Double) -> AffineTransform2D? {
        guard candidates.count >= 2 else { return nil }
        var hypotheses: [(Int, Int)] = []
        let top = min(candidates.count, 24)
        for i in 0..<top { for j in (i + 1)..<top { hypotheses.append((i, j)) } }
        var random = SeededRandom(seed: 0x5eed)
        for _ in 0..<(candidates.count > top ? 400 : 0) {
            let i = Int(random.next() % UInt64(candidates.count)), j = Int(random.next() % UInt64(candidates.count))
            if i != j { hypotheses.append((i, j)) }
        }
        var best: (AffineTransform2D, Int)?
        let grid = StarCellGrid(b, tolerance: tolerance)
        for (i, j) in hypotheses {
            let (p, q) = candidates[i], (r, s) = candidates[j]
            guard p != r, q != s, hypot(a[r].x - a[p].x, a[r].y - a[p].y) > 10 else { continue }
            guard let candidate = TransformModel.similarity([(a[p], b[q]), (a[r], b[s])]) else { continue }
            let scale = hypot(candidate.a, candidate.d)
            guard scale > 0.5, scale < 2 else { continue }
            let votes = grid.nearestPairs(a, ProjectiveTransform2D(candidate)).count
            if votes > (best?.1 ?? 2) { best = (candidate, votes) }
        }
        return best?.0
    }

    static func residual(_ pair: (Int, Int), _ image: [Point], _ catalogue: [Point], _ transform: ProjectiveTransform2D) -> Double {
        let q = transform.apply(image[pair.0].x, image[pair.0].y)
        return hypot(q.x - catalogue[pair.1].x, q.y - catalogue[pair.1].y)
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
