import Foundation
import LerarRegistration

/// An image's flux scale against the truth (image units per truth normalized ADU), from its matched stars.
enum PhotometricScale {
    /// Median ratio of wide-aperture flux (4 FWHM, so a stack's broad wings are inside it, above `model`) to truth
    /// flux over unsaturated isolated matched stars; nil for a colour filter (whose share of a star's light varies
    /// from star to star) or with fewer than 5 usable stars. `pairs` pair `stars` with `catalogue` entries.
    static func measure(plane: [Float], width: Int, height: Int, model: BackgroundGrid, configuration c: SessionConfiguration, filter: String,
                        stars: [DetectedStar], pairs: [(Int, Int)], catalogue: [(x: Double, y: Double, rate: Double)]) -> Double? {
        let toNormalized = c.exposure / (c.electronsPerADU * 65535)
        let alpha = c.fwhmRange.lowerBound / (2 * (pow(2, 1 / c.moffatBeta) - 1).squareRoot())
        let peakShare = (c.moffatBeta - 1) / (Double.pi * alpha * alpha)
        let unsaturatedRate = 0.5 * (c.saturationADU - c.biasADU) * c.electronsPerADU / (c.exposure * peakShare)
        guard let fraction = lightFraction(c, filter: filter) else { return nil }
        let fwhms = stars.map(\.fwhm).filter { $0 > 0 }
        let radius = max(6, 4 * (fwhms.isEmpty ? 3 : BackgroundGrid.median(fwhms)))
        var usable = pairs.filter { catalogue[$0.1].rate < unsaturatedRate }
        usable.sort { catalogue[$0.1].rate > catalogue[$1.1].rate }
        var ratios: [Double] = []
        for (i, j) in usable.prefix(max(5, usable.count / 2)) {
            let star = stars[i]
            let r = Int(radius.rounded(.up))
            guard star.x - radius > 1, star.y - radius > 1, star.x + radius < Double(width - 2), star.y + radius < Double(height - 2) else { continue }
            let crowded = stars.contains { other in other.x != star.x && hypot(other.x - star.x, other.y - star.y) < radius + 3 * max(other.fwhm, 1) }
            if crowded { continue }
            var sum = 0.0, complete = true
            for py in (Int(star.y) - r)...(Int(star.y) + r) {
                for px in (Int(star.x) - r)...(Int(star.x) + r) where hypot(Double(px) - star.x, Double(py) - star.y) <= radius {
                    let v = plane[py * width + px]
                    guard v.isFinite else { complete = false; continue }
                    sum += Double(v) - model.value(x: px, y: py)
                }
            }
            if complete && sum > 0 { ratios.append(sum / (catalogue[j].rate * fraction * toNormalized)) }
        }
        guard ratios.count >= 5 else { return nil }
        return BackgroundGrid.median(ratios)
    }

    /// Share of a catalogue (L) rate that an image of `filter` holds: 1 for L, a third for the channel mean of an OSC
    /// image (R + G + B = L); nil for a colour filter, whose share varies from star to star.
    static func lightFraction(_ c: SessionConfiguration, filter: String) -> Double? {
        c.oneShotColor ? 1.0 / 3 : (StarCatalogue.skyFraction(filter: filter) == 1 ? 1 : nil)
    }
}
