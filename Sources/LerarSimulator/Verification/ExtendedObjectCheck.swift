import Foundation
import LerarCore
import LerarRegistration

/// What the verifier measures when the session has an extended object: the background flatness with the object
/// masked (so a kept galaxy does not read as a gradient), and the object's flux against the truth, on the image's
/// photometric scale (from its matched stars), so a flattening that ate the object shows as a ratio below 1.
struct ExtendedObjectCheck {
    /// Peak-to-peak of the smoothed background outside the object, % of the sky level.
    var flatnessPercent: Double?
    /// Measured object flux over the truth's, on the image's scale.
    var fluxRatio: Double?
    /// The image's flux scale: image units per truth normalized ADU, from matched stars.
    var photometricScale: Double?

    /// `imageToSky` maps image px to sky px (the object's frame); `match` pairs image stars with `catalogue` stars.
    init(plane: [Float], width: Int, height: Int, object: ExtendedObject, configuration c: SessionConfiguration, filter: String,
         imageToSky: ProjectiveTransform2D, skyOffset: (x: Double, y: Double), stars: [DetectedStar],
         pairs: [(Int, Int)], catalogue: [(x: Double, y: Double, rate: Double)], cellSize: Int) {
        func sky(_ x: Int, _ y: Int) -> (Double, Double) {
            let p = imageToSky.apply(Double(x), Double(y))
            return (p.x + skyOffset.x, p.y + skyOffset.y)
        }
        // Flatness with the object and a 10 % margin left out.
        var masked = plane, inside = [Bool](repeating: false, count: plane.count)
        for y in 0..<height {
            for x in 0..<width {
                let (sx, sy) = sky(x, y)
                let rho2 = object.ellipticalRadiusSquared(x: sx, y: sy)
                if rho2 < 1.21 { masked[y * width + x] = .nan }
                if rho2 < 1 { inside[y * width + x] = true }
            }
        }
        // Cells mostly under the mask are left out and the peak-to-peak is taken over cells mostly outside it: a cell
        // resting on a few pixels at the mask's edge measures its noise, not the background (on the truth sky with
        // the noise of a 16-sub stack, that alone read 0.17–0.30 % against 0.04 % elsewhere).
        let outside = BackgroundGrid(plane: masked, width: width, height: height, cellSize: cellSize, minimumFraction: 0.5)
        let level = outside.level
        let kept = outside.cells.indices.filter { outside.measured[$0] && outside.cells[$0].isFinite }.map { outside.cells[$0] }
        if let low = kept.min(), let high = kept.max(), abs(level) > 0 { flatnessPercent = 100 * (high - low) / abs(level) }

        // Photometric scale from unsaturated isolated matched stars: their flux in a wide aperture (4 FWHM, so a
        // stack's broad wings are inside it) over the truth flux.
        let toNormalized = c.exposure / (c.electronsPerADU * 65535)
        let alpha = c.fwhmRange.lowerBound / (2 * (pow(2, 1 / c.moffatBeta) - 1).squareRoot())
        let peakShare = (c.moffatBeta - 1) / (Double.pi * alpha * alpha)
        let unsaturatedRate = 0.5 * (c.saturationADU - c.biasADU) * c.electronsPerADU / (c.exposure * peakShare)
        // Catalogue rates are L rates: an L stack, or the channel mean of an OSC one (R + G + B = L, so a third),
        // has one known fraction for every star; a colour filter's varies from star to star and is not measured.
        guard let fraction: Double = c.oneShotColor ? 1.0 / 3 : (StarCatalogue.skyFraction(filter: filter) == 1 ? 1 : nil) else { return }
        let model = BackgroundGrid(plane: plane, width: width, height: height, cellSize: max(16, cellSize / 4))
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
        guard ratios.count >= 5 else { return }
        let scale = BackgroundGrid.median(ratios)
        photometricScale = scale

        // The object's flux: the star-clipped smooth model of the image above the sky outside, against the truth.
        let area = abs(imageToSky.affine.map { $0.a * $0.e - $0.b * $0.d } ?? 1)
        let objectRate = object.peakFractionOfSky * c.skyRate * ExtendedObject.fraction(filter: c.oneShotColor ? "L" : filter)
            * (c.oneShotColor ? 1.0 / 3 : 1) * toNormalized
        var measured = 0.0, truth = 0.0
        for y in 0..<height {
            for x in 0..<width where inside[y * width + x] {
                measured += model.value(x: x, y: y) - level
                let (sx, sy) = sky(x, y)
                truth += object.profile(x: sx, y: sy) * objectRate * area
            }
        }
        if truth > 0 && scale > 0 { fluxRatio = measured / (scale * truth) }
    }
}
