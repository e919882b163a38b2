import Foundation
import LerarCore

/// The family of maps a registration fits to matched stars (shared/reference/registration.md §4).
public enum TransformModel: String, Sendable, Codable, CaseIterable {
    /// Shift, rotation and one scale (4 parameters): the same camera and optics, the usual case.
    case similarity
    /// Shift, rotation, two scales and shear (6): differential refraction and small tilts; the default, as Siril.
    case affine
    /// Projective (8): wide fields, different optics or tilted sensors.
    case homography

    /// Matched pairs needed for a determined fit.
    public var minimumPairs: Int {
        switch self {
        case .similarity: 2
        case .affine: 3
        case .homography: 4
        }
    }

    public typealias Point = (x: Double, y: Double)

    /// Least-squares map of `pairs` (from → to); nil when degenerate.
    public func fit(_ pairs: [(Point, Point)]) -> ProjectiveTransform2D? {
        guard pairs.count >= minimumPairs else { return nil }
        switch self {
        case .similarity: return Self.similarity(pairs).map(ProjectiveTransform2D.init)
        case .affine: return StarMatcher.leastSquaresAffine(pairs).map(ProjectiveTransform2D.init)
        case .homography: return Self.homography(pairs)
        }
    }

    /// x' = a·x − b·y + c, y' = b·x + a·y + d in closed form about the centroids.
    static func similarity(_ pairs: [(Point, Point)]) -> AffineTransform2D? {
        let n = Double(pairs.count)
        let mx = pairs.reduce(0) { $0 + $1.0.x } / n, my = pairs.reduce(0) { $0 + $1.0.y } / n
        let nx = pairs.reduce(0) { $0 + $1.1.x } / n, ny = pairs.reduce(0) { $0 + $1.1.y } / n
        var dot = 0.0, cross = 0.0, norm = 0.0
        for (from, to) in pairs {
            let x = from.x - mx, y = from.y - my, u = to.x - nx, v = to.y - ny
            dot += x * u + y * v; cross += x * v - y * u; norm += x * x + y * y
        }
        guard norm > 1e-9 else { return nil }
        let a = dot / norm, b = cross / norm
        return AffineTransform2D(a: a, b: -b, c: nx - a * mx + b * my, d: b, e: a, f: ny - b * mx - a * my)
    }

    /// Direct linear transform with Hartley normalisation (centroid at 0, mean distance √2) and m8 = 1, solved by
    /// least squares on the normal equations.
    static func homography(_ pairs: [(Point, Point)]) -> ProjectiveTransform2D? {
        func normaliser(_ points: [Point]) -> AffineTransform2D? {
            let n = Double(points.count)
            let mx = points.reduce(0) { $0 + $1.x } / n, my = points.reduce(0) { $0 + $1.y } / n
            let spread = points.reduce(0) { $0 + hypot($1.x - mx, $1.y - my) } / n
            guard spread > 1e-9 else { return nil }
            let s = 2.0.squareRoot() / spread
            return AffineTransform2D(a: s, b: 0, c: -s * mx, d: 0, e: s, f: -s * my)
        }
        guard let from = normaliser(pairs.map(\.0)), let to = normaliser(pairs.map(\.1)) else { return nil }
        var normal = [Double](repeating: 0, count: 64), rhs = [Double](repeating: 0, count: 8)
        for (p, q) in pairs {
            let (x, y) = from.apply(p.x, p.y), (u, v) = to.apply(q.x, q.y)
            for row in [([x, y, 1, 0, 0, 0, -u * x, -u * y], u), ([0, 0, 0, x, y, 1, -v * x, -v * y], v)] {
                for i in 0..<8 {
                    rhs[i] += row.0[i] * row.1
                    for j in 0..<8 { normal[i * 8 + j] += row.0[i] * row.0[j] }
                }
            }
        }
        guard let h = LinearSolver.solve(normal, rhs, size: 8), let toInverse = ProjectiveTransform2D(to).inverted else { return nil }
        let normalised = ProjectiveTransform2D(matrix: h + [1])
        return toInverse.concatenating(normalised).concatenating(ProjectiveTransform2D(from))
    }
}

