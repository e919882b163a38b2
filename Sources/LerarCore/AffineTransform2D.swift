import Foundation

/// A 2-D affine map of pixel coordinates: (x, y) → (a·x + b·y + c, d·x + e·y + f).
/// Pixel centres are at integer coordinates; (0, 0) is the centre of the first stored pixel.
public struct AffineTransform2D: Sendable, Codable, Equatable {
    public var a, b, c, d, e, f: Double

    public init(a: Double, b: Double, c: Double, d: Double, e: Double, f: Double) {
        (self.a, self.b, self.c, self.d, self.e, self.f) = (a, b, c, d, e, f)
    }

    public static let identity = AffineTransform2D(a: 1, b: 0, c: 0, d: 0, e: 1, f: 0)

    /// Rotation by `angle` radians (counter-clockwise in x-right, y-down pixel axes is clockwise on screen) about
    /// `centre`, followed by a shift of (`dx`, `dy`) px.
    public static func rotation(_ angle: Double, about centre: (x: Double, y: Double), shift: (dx: Double, dy: Double) = (0, 0)) -> AffineTransform2D {
        let cosine = cos(angle), sine = sin(angle)
        return AffineTransform2D(a: cosine, b: -sine, c: centre.x - cosine * centre.x + sine * centre.y + shift.dx,
                               d: sine, e: cosine, f: centre.y - sine * centre.x - cosine * centre.y + shift.dy)
    }

    /// The image of a point.
    @inlinable public func apply(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        (a * x + b * y + c, d * x + e * y + f)
    }

    /// This map after `other` (first `other`, then `self`).
    public func concatenating(_ other: AffineTransform2D) -> AffineTransform2D {
        AffineTransform2D(a: a * other.a + b * other.d, b: a * other.b + b * other.e, c: a * other.c + b * other.f + c,
                        d: d * other.a + e * other.d, e: d * other.b + e * other.e, f: d * other.c + e * other.f + f)
    }

    /// The inverse map; nil when singular.
    public var inverted: AffineTransform2D? {
        let determinant = a * e - b * d
        guard abs(determinant) > 1e-15 else { return nil }
        let ia = e / determinant, ib = -b / determinant, id = -d / determinant, ie = a / determinant
        return AffineTransform2D(a: ia, b: ib, c: -(ia * c + ib * f), d: id, e: ie, f: -(id * c + ie * f))
    }

    /// Rotation angle in degrees (of the linear part).
    public var rotationDegrees: Double { atan2(d, a) * 180 / .pi }
}
