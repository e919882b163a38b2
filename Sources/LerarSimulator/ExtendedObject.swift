import Foundation

/// A large faint object (a galaxy's disc or a nebula) in sky px, so tests can check that background modelling,
/// LN and reference flattening keep real extended signal. Its profile, (1 − ρ²)² inside the ellipse ρ < 1, is smooth
/// and has a finite edge, so the verifier can mask it exactly when it measures flatness and sum it exactly when it
/// measures its flux.
public struct ExtendedObject: Sendable, Codable, Equatable {
    /// Centre in sky px (panel 1's reference frame).
    public var x: Double, y: Double
    /// Semi-major axis, px; minor/major axis ratio; position angle of the major axis, degrees from +x.
    public var radius: Double, axisRatio: Double, angleDegrees: Double
    /// Surface brightness at the centre as a fraction of the L sky rate (per px).
    public var peakFractionOfSky: Double

    public init(x: Double, y: Double, radius: Double, axisRatio: Double, angleDegrees: Double, peakFractionOfSky: Double) {
        self.x = x; self.y = y; self.radius = radius; self.axisRatio = axisRatio
        self.angleDegrees = angleDegrees; self.peakFractionOfSky = peakFractionOfSky
    }

    /// The object `lerar simulate --extended-object` adds: a tilted disc over about a fifth of the frame, off centre,
    /// peaking at 12 % of the sky (fainter than the sky, as most galaxies' outer parts and faint nebulae are).
    public static func standard(width: Int, height: Int) -> ExtendedObject {
        ExtendedObject(x: 0.42 * Double(width), y: 0.56 * Double(height), radius: 0.24 * Double(min(width, height)),
                       axisRatio: 0.6, angleDegrees: 30, peakFractionOfSky: 0.12)
    }

    /// Surface brightness relative to the centre (0…1) at sky px (x, y).
    @inlinable public func profile(x px: Double, y py: Double) -> Double {
        let rho2 = ellipticalRadiusSquared(x: px, y: py)
        guard rho2 < 1 else { return 0 }
        let falloff = 1 - rho2
        return falloff * falloff
    }

    /// (ρ)² of the ellipse through (x, y): 1 on the object's edge.
    @inlinable public func ellipticalRadiusSquared(x px: Double, y py: Double) -> Double {
        let angle = angleDegrees * .pi / 180
        let dx = px - x, dy = py - y
        let along = (dx * cos(angle) + dy * sin(angle)) / radius
        let across = (-dx * sin(angle) + dy * cos(angle)) / (radius * axisRatio)
        return along * along + across * across
    }

    /// Colour fractions of its light in R, G, B (a pink disc: old stars and H II regions) and through `filter` as a
    /// fraction of L; coloured enough that its hue is measurable through the finish.
    public static let rgbFractions = [0.44, 0.26, 0.30]
    public static func fraction(filter: String) -> Double {
        switch filter.uppercased() {
        case "R", "RED": rgbFractions[0]
        case "G", "GREEN": rgbFractions[1]
        case "B", "BLUE": rgbFractions[2]
        case "HA", "OIII", "SII", "O3", "S2", "H": 0.03
        default: 1
        }
    }
}
