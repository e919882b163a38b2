import Foundation

/// A map of pixel coordinates that the resampler can follow: affine or projective.
public protocol PixelMapping: Sendable {
    /// The image of a point, px.
    func apply(_ x: Double, _ y: Double) -> (x: Double, y: Double)
}

extension AffineTransform2D: PixelMapping {}

/// A 2-D projective map (homography) of pixel coordinates, row-major 3×3 matrix `m` normalised so m[8] = 1:
/// (x, y) → ((m0·x + m1·y + m2) / w, (m3·x + m4·y + m5) / w) with w = m6·x + m7·y + m8.
/// Affine maps are the case m6 = m7 = 0; wide fields with optical distortion or tilted sensors need the general one.
public struct ProjectiveTransform2D: Sendable, Codable, Equatable, PixelMapping {
    public var matrix: [Double]

    public init(matrix: [Double]) {
        precondition(matrix.count == 9, "a projective transform has 9 coefficients")
        let scale = matrix[8] != 0 ? matrix[8] : 1
        self.matrix = matrix.map { $0 / scale }
    }

    public init(_ affine: AffineTransform2D) {
        matrix = [affine.a, affine.b, affine.c, affine.d, affine.e, affine.f, 0, 0, 1]
    }

    public static let identity = ProjectiveTransform2D(.identity)

    @inlinable public func apply(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        let m = matrix
        let w = m[6] * x + m[7] * y + m[8]
        return ((m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w)
    }

    /// The affine map when this one has no projective part (|m6|, |m7| < 1e-15), else nil.
    public var affine: AffineTransform2D? {
        guard abs(matrix[6]) < 1e-15, abs(matrix[7]) < 1e-15 else { return nil }
        return AffineTransform2D(a: matrix[0], b: matrix[1], c: matrix[2], d: matrix[3], e: matrix[4], f: matrix[5])
    }

    /// This map after `other` (first `other`, then `self`).
    public func concatenating(_ other: ProjectiveTransform2D) -> ProjectiveTransform2D {
        var product = [Double](repeating: 0, count: 9)
        for row in 0..<3 { for column in 0..<3 {
            product[row * 3 + column] = (0..<3).reduce(0) { $0 + matrix[row * 3 + $1] * other.matrix[$1 * 3 + column] }
        } }
        return ProjectiveTransform2D(matrix: product)
    }

    /// The inverse map; nil when singular.
    public var inverted: ProjectiveTransform2D? {
        let m = matrix
        let c0 = m[4] * m[8] - m[5] * m[7], c1 = m[5] * m[6] - m[3] * m[8], c2 = m[3] * m[7] - m[4] * m[6]
        let determinant = m[0] * c0 + m[1] * c1 + m[2] * c2
        guard abs(determinant) > 1e-15 else { return nil }
        let adjugate = [c0, m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
                        c1, m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
                        c2, m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3]]
        guard adjugate[8] != 0 else { return nil }
        return ProjectiveTransform2D(matrix: adjugate.map { $0 / determinant })
    }

    /// Rotation angle of the linear part at the origin, degrees.
    public var rotationDegrees: Double { atan2(matrix[3], matrix[0]) * 180 / .pi }

    /// Largest distance, px, between the images of this map and `other` over a `width`×`height` frame (sampled on a
    /// 9×9 grid including the corners).
    public func maximumDistance(to other: PixelMapping, width: Int, height: Int) -> Double {
        var worst = 0.0
        for i in 0...8 { for j in 0...8 {
            let x = Double(width - 1) * Double(i) / 8, y = Double(height - 1) * Double(j) / 8
            let p = apply(x, y), q = other.apply(x, y)
            worst = max(worst, hypot(p.x - q.x, p.y - q.y))
        } }
        return worst
    }
}
