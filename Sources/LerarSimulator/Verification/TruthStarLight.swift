import Foundation
import LerarCore
import LerarRegistration

/// The truth's stars as a stack shows them, for the flatness measure. Faint stars leave light in a background
/// cell's clipped median wherever noise keeps them from being clipped: real light, but no gradient. The noise-free
/// truth sky of a 1024² session reads 0.0003 % flat, the same sky with a stack's 1.3 % noise per pixel 0.10 %: the
/// measure read the field's stars. Subtracting the truth sky itself did not serve a stack, whose stars are broader
/// (3.5 against 2.2 px FWHM): the broader wings left a texture of their own.
enum TruthStarLight {
    /// The catalogue's stars drawn as Moffat profiles of the image's own FWHM (px) and the session's β, at their
    /// places in the image (`imageToCatalogue` inverted), with the flux the image's photometric `scale` gives them.
    static func render(catalogue: [(x: Double, y: Double, rate: Double)], imageToCatalogue: ProjectiveTransform2D, scale: Double,
                       fraction: Double, fwhm: Double, configuration c: SessionConfiguration, width: Int, height: Int) -> [Float] {
        var light = [Float](repeating: 0, count: width * height)
        guard let toImage = imageToCatalogue.inverted else { return light }
        let psf = MoffatPSF(fwhm: fwhm, beta: c.moffatBeta)
        // Drawn in the truth's electrons (the profile's reach is set in e-), then brought to image units.
        for star in catalogue {
            let p = toImage.apply(star.x, star.y)
            guard p.x > -80, p.y > -80, p.x < Double(width + 80), p.y < Double(height + 80) else { continue }
            psf.render(flux: star.rate * fraction * c.exposure, x: p.x, y: p.y, into: &light, width: width, height: height)
        }
        let toImageUnits = Float(scale / (c.electronsPerADU * 65535))
        for i in light.indices { light[i] *= toImageUnits }
        return light
    }
}
