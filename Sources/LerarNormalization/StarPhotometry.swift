import Foundation
import LerarCore
import LerarRegistration

/// Relative signal scale of a registered target against its reference from aperture photometry of the same stars
/// (the role of PixInsight's PSF-signal scale estimator, shared/reference/local-normalization.md §4.3): fluxes in a
/// common aperture of 2× the larger FWHM, local background from an annulus median, ratios reference/target, and a
/// clipped median of the ratios.
public enum StarPhotometry {
    /// One star's aperture flux (background-subtracted), image units; nil when the aperture or annulus lacks data.
    static func flux(_ plane: UnsafeBufferPointer<Float>, width: Int, height: Int, x: Double, y: Double, radius: Double) -> Double? {
        let outer = radius + 6, inner2 = (radius + 2) * (radius + 2), radius2 = radius * radius
        let x0 = Int((x - outer).rounded(.down)), x1 = Int((x + outer).rounded(.up)), y0 = Int((y - outer).rounded(.down)), y1 = Int((y + outer).rounded(.up))
        guard x0 >= 0, y0 >= 0, x1 < width, y1 < height else { return nil }
        var sum = 0.0, count = 0, annulus: [Float] = []
        for py in y0...y1 {
            for px in x0...x1 {
                let d2 = (Double(px) - x) * (Double(px) - x) + (Double(py) - y) * (Double(py) - y)
                let v = plane[py * width + px]
                if d2 <= radius2 {
                    guard v.isFinite, v != 0 else { return nil }
                    sum += Double(v); count += 1
                } else if d2 >= inner2 && d2 <= outer * outer && v.isFinite && v != 0 {
                    annulus.append(v)
                }
            }
        }
        guard annulus.count >= 20 else { return nil }
        return sum - Double(count) * Double(BackgroundGrid.selectMedian(&annulus))
    }

    /// Scale s with reference ≈ s·target for the stars, and how many stars it rests on; nil with fewer than
    /// `minimumStars` usable stars.
    public static func relativeScale(reference: UnsafeBufferPointer<Float>, target: UnsafeBufferPointer<Float>, width: Int, height: Int,
                                     stars: [DetectedStar], fwhm: Double, saturation: Double, minimumStars: Int = 8) -> (scale: Double, stars: Int)? {
        let radius = max(3, 2 * fwhm)
        // Apertures measured in parallel chunks of stars (a frame's LN fit ran them on its thread alone; stop 34).
        let measured = Array(stars.prefix(400).filter { $0.peak < saturation })
        let shared = UnsafeSendable((reference, target))
        var ratios: [Double] = Parallel.mapChunks(count: measured.count, minimumChunkSize: 25) { chunk in
            chunk.compactMap { i -> Double? in
                let (reference, target) = shared.value, star = measured[i]
                guard let r = flux(reference, width: width, height: height, x: star.x, y: star.y, radius: radius),
                      let t = flux(target, width: width, height: height, x: star.x, y: star.y, radius: radius),
                      r > 0, t > 0 else { return nil }
                return r / t
            }
        }.flatMap { $0 }
        // Clipped median: blends, variable stars and cosmic rays in an aperture fall out.
        for _ in 0..<3 where ratios.count >= minimumStars {
            let centre = BackgroundGrid.median(ratios), spread = 1.4826 * BackgroundGrid.median(ratios.map { abs($0 - centre) })
            guard spread > 0 else { break }
            let kept = ratios.filter { abs($0 - centre) <= 3 * spread }
            if kept.count == ratios.count { break }
            ratios = kept
        }
        guard ratios.count >= minimumStars else { return nil }
        return (BackgroundGrid.median(ratios), ratios.count)
    }
}
