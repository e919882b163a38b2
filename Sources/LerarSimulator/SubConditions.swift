import Foundation
import LerarCore

/// What changes from one light to the next: pointing, seeing, sky, transparency, defects.
public struct SubConditions: Sendable, Codable {
    public var fwhm: Double
    public var transparency: Double
    /// Gradient strength (fraction of sky across the frame half-diagonal) and direction (degrees).
    public var gradientStrength: Double, gradientAngle: Double
    /// Maps reference-frame px to this light's px.
    public var referenceToLight: AffineTransform2D
    public var meridianFlipped: Bool
    public var cloudy: Bool, starless: Bool
    /// Satellite trails as segments in light px: [x0, y0, x1, y1].
    public var trails: [[Double]]
    /// Cosmic-ray hits in light px: [x, y].
    public var cosmicRays: [[Int]]
    /// Sky multiplier (clouds reflect light pollution).
    public var skyFactor: Double

    /// Conditions of light `index` (of `count`) in one filter's sequence.
    /// Panels differ in sky brightness (+25 % per panel), as mosaic panels shot at other altitudes do.
    static func make(index: Int, count: Int, panel: Int = 1, stream: UInt64, configuration c: SessionConfiguration) -> SubConditions {
        var random = SeededRandom(seed: c.seed, stream: stream)
        let flipped = c.meridianFlip && index >= count / 2
        let centre = (x: Double(c.width - 1) / 2, y: Double(c.height - 1) / 2)
        let angle = (c.rotationJitterDegrees * (2 * random.uniform() - 1) + (flipped ? 180 : 0)) * .pi / 180
        let shift = (dx: c.ditherPixels * (2 * random.uniform() - 1), dy: c.ditherPixels * (2 * random.uniform() - 1))
        let cloudy = c.cloudySub && index == count - 2
        let starless = c.starlessSub && index == 1
        var trails: [[Double]] = []
        let drawnTrail = random.uniform() < c.trailFraction
        if c.trailCount.map({ count > 0 && (index + 1) * $0 / count > index * $0 / count }) ?? drawnTrail {
            let y0 = random.uniform() * Double(c.height), y1 = random.uniform() * Double(c.height)
            trails.append([-10, y0, Double(c.width + 10), y1])
        }
        let hits = Int((c.cosmicRaysPerMegapixel * Double(c.width * c.height) / 1e6).rounded())
        let rays = (0..<hits).map { _ in [Int(random.uniform() * Double(c.width)), Int(random.uniform() * Double(c.height))] }
        // The sub with the worst seeing is the middle one, so ranking tests know which it is.
        var fwhm = random.uniform(in: c.fwhmRange.lowerBound...(c.fwhmRange.lowerBound + 0.7 * (c.fwhmRange.upperBound - c.fwhmRange.lowerBound)))
        if index == count / 2 - 1 { fwhm = c.fwhmRange.upperBound }
        return SubConditions(
            fwhm: fwhm,
            transparency: starless ? 0 : cloudy ? 0.3 : random.uniform(in: c.transparencyRange),
            gradientStrength: c.gradients ? random.uniform(in: c.gradientRange) : 0,
            gradientAngle: random.uniform() * 360,
            referenceToLight: .rotation(angle, about: centre, shift: shift),
            meridianFlipped: flipped, cloudy: cloudy, starless: starless, trails: trails, cosmicRays: rays,
            skyFactor: (cloudy ? 2.5 : starless ? 3 : 1) * (1 + 0.25 * Double(panel - 1)))
    }
}
