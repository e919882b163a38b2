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

    /// `flatnessPlane`: the image less the truth's stars, for the flatness measure; `photometry`: the image's
    /// photometric scale (`PhotometricScale`) and the fine background model it was measured over, nil when none.
    /// `imageToSky` maps image px to sky px (the object's frame).
    init(plane: [Float], flatnessPlane: [Float], width: Int, height: Int, object: ExtendedObject, configuration c: SessionConfiguration, filter: String,
         imageToSky: ProjectiveTransform2D, skyOffset: (x: Double, y: Double), photometry: (scale: Double, model: BackgroundGrid)?, cellSize: Int) {
        func sky(_ x: Int, _ y: Int) -> (Double, Double) {
            let p = imageToSky.apply(Double(x), Double(y))
            return (p.x + skyOffset.x, p.y + skyOffset.y)
        }
        // Flatness with the object and a 10 % margin left out.
        var masked = flatnessPlane, maskedImage = plane, inside = [Bool](repeating: false, count: plane.count)
        for y in 0..<height {
            for x in 0..<width {
                let (sx, sy) = sky(x, y)
                let rho2 = object.ellipticalRadiusSquared(x: sx, y: sy)
                if rho2 < 1.21 { masked[y * width + x] = .nan; maskedImage[y * width + x] = .nan }
                if rho2 < 1 { inside[y * width + x] = true }
            }
        }
        // Cells mostly under the mask are left out and the peak-to-peak is taken over cells mostly outside it: a cell
        // resting on a few pixels at the mask's edge measures its noise, not the background (on the truth sky with
        // the noise of a 16-sub stack, that alone read 0.17–0.30 % against 0.04 % elsewhere).
        let outside = BackgroundGrid(plane: masked, width: width, height: height, cellSize: cellSize, minimumFraction: 0.5)
        // The sky level around the object in the image itself (stars in), to which its flux is measured: the grid
        // above when no stars were subtracted.
        let level = photometry == nil ? outside.level
            : BackgroundGrid(plane: maskedImage, width: width, height: height, cellSize: cellSize, minimumFraction: 0.5).level
        let kept = outside.cells.indices.filter { outside.measured[$0] && outside.cells[$0].isFinite }.map { outside.cells[$0] }
        if let low = kept.min(), let high = kept.max(), abs(level) > 0 { flatnessPercent = 100 * (high - low) / abs(level) }

        let toNormalized = c.exposure / (c.electronsPerADU * 65535)
        guard let (scale, model) = photometry else { return }
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
