import Foundation
import LerarCore
import LerarRegistration

/// Scores an image (a stack, or any frame) against a simulated session's truth.
public enum ResultVerifier {
    public struct Report: Sendable, Codable {
        public var schema = "lerar.verify", schemaVersion = 1
        public var file: String
        public var panel: Int
        public var filter: String
        /// Robust σ of the star-free background after removing its smooth model, image units.
        public var backgroundNoise: Double
        /// Median sky level, image units.
        public var skyLevel: Double
        /// Peak-to-peak of the smoothed star-clipped background as % of the sky level, with the truth's stars drawn at
        /// the image's FWHM subtracted first where the filter allows (nil when the sky is ~0).
        public var flatnessPercent: Double?
        public var detectedStars: Int
        public var medianFWHM: Double?, medianEccentricity: Double?
        /// Truth stars inside the image that were detected at 5 σ, and the fraction.
        public var truthStarsInField: Int, recoveredStars: Int
        public var recoveredFraction: Double
        /// Largest mean excess along a truth satellite trail, in background σ (≈ 0 when trails are gone).
        public var trailResidueSigma: Double?
        public var trailsChecked: Int
        /// Stars matched to the catalogue, RMS position error after the affine fit, px; the fitted transform.
        public var matchedStars: Int
        public var starRMS: Double?
        /// Stars behind `starRMS`: bright (peak ≥ 20 σ), isolated (no other detection within 4 FWHM), ≥ 10 px from the edges, 5 σ-clipped.
        public var starsInRMS: Int
        public var imageToReference: AffineTransform2D?
        /// With an extended object in the session: its measured flux over the truth's (1 = kept whole); flatness is
        /// then measured with the object masked out.
        public var extendedObjectFluxRatio: Double? = nil
        public var notes: [String]
    }

    /// Scores channel 0 (or the mean of RGB channels) of `image`. `panel` and `filter` default to the image's
    /// PANEL and FILTER keywords.
    public static func verify(_ image: Image, file: String, truthFolder: String, panel: Int? = nil, filter: String? = nil) throws -> Report {
        let truth = try SessionTruth.load(folder: truthFolder)
        let c = truth.configuration
        let panelIndex = panel ?? image.metadata.keyword("PANEL")?.intValue ?? 1
        let filterName = filter ?? image.metadata.acquisition.filter ?? c.effectiveFilters.first ?? ""
        var notes: [String] = []
        let width = image.width, height = image.height
        let plane = image.channelMean()
        let background = BackgroundGrid(plane: plane, width: width, height: height, cellSize: max(32, min(width, height) / 16))
        let rawSigma = residualSigma(plane, width: width, height: height, background: background, exclude: [])
        var stars = SimpleStarFinder.find(plane: plane, width: width, height: height, background: background, sigma: rawSigma)
        stars.sort { $0.flux > $1.flux }
        let sigma = residualSigma(plane, width: width, height: height, background: background, exclude: stars)
        let level = background.level

        let catalogue = try truth.stars(panel: panelIndex, folder: truthFolder)
            .filter { $0.x > -60 && $0.y > -60 && $0.x < Double(c.width + 60) && $0.y < Double(c.height + 60) }
            .sorted { $0.rate > $1.rate }
        let match = StarMatcher.match(image: stars.map { ($0.x, $0.y) }, catalogue: catalogue.map { ($0.x, $0.y) })
        if match == nil { notes.append("could not match the image's stars to the truth catalogue") }
        // The photometric scale (once: the galaxy's flux is measured on it too), and flatness of the background with
        // the truth's stars taken out (as the image shows them), where they can be.
        var flatnessPlane = plane, photometry: (scale: Double, model: BackgroundGrid)?
        if let match, let fraction = PhotometricScale.lightFraction(c, filter: filterName) {
            // The profile of bright stars (peak ≥ 20σ), whose half-maximum width is measured well; faint ones read wide.
            let fwhm = median(stars.filter { $0.peak >= 20 * sigma && $0.fwhm > 0 }.map(\.fwhm)) ?? c.fwhmRange.lowerBound
            let model = BackgroundGrid(plane: plane, width: width, height: height, cellSize: max(16, background.cellSize / 4))
            if let scale = PhotometricScale.measure(plane: plane, width: width, height: height, model: model, configuration: c, filter: filterName,
                                                    stars: stars, pairs: match.pairs, catalogue: catalogue) {
                photometry = (scale, model)
                let light = TruthStarLight.render(catalogue: catalogue, imageToCatalogue: match.transform, scale: scale, fraction: fraction,
                                                  fwhm: fwhm, configuration: c, width: width, height: height)
                for i in flatnessPlane.indices { flatnessPlane[i] -= light[i] }
                notes.append(String(format: "flatness measured with the truth's stars subtracted (FWHM %.2f px)", fwhm))
            } else {
                notes.append("flatness measured with the field's stars in it: fewer than 5 unsaturated isolated matched stars for a photometric scale")
            }
        } else if match != nil {
            notes.append("flatness measured with the field's stars in it: filter \(filterName)'s share of each star's light varies")
        }
        let measurable = abs(level) > 5 * sigma
        if !measurable { notes.append("sky level is within 5σ of zero: flatness relative to it is meaningless") }
        // With an extended object the check below measures flatness around it; else over the whole frame (the grid
        // already made when nothing was subtracted).
        let flatness: Double? = !measurable || c.extendedObject != nil ? nil
            : 100 * (photometry == nil ? background : BackgroundGrid(plane: flatnessPlane, width: width, height: height, cellSize: background.cellSize)).peakToPeak / abs(level)
        var inField = 0
        if let toImage = match?.transform.inverted {
            for star in catalogue {
                let p = toImage.apply(star.x, star.y)
                if p.x >= 10 && p.y >= 10 && p.x < Double(width - 10) && p.y < Double(height - 10) { inField += 1 }
            }
        }
        var trailResidue: Double?
        var trailsChecked = 0
        // A trail's own maxima are "detections" too: near a trail, only detections that are catalogue stars are masked.
        let matchedIndices = Set(match?.pairs.map(\.0) ?? [])
        if let toImage = match?.transform.inverted {
            for light in truth.lights where light.panel == panelIndex && (light.filter == filterName || c.oneShotColor) {
                for trail in light.conditions.trails {
                    let a = toImage.apply(light.lightToReference.apply(trail[0], trail[1]).x, light.lightToReference.apply(trail[0], trail[1]).y)
                    let b = toImage.apply(light.lightToReference.apply(trail[2], trail[3]).x, light.lightToReference.apply(trail[2], trail[3]).y)
                    let masked = stars.enumerated().filter { matchedIndices.contains($0.offset) || distance(from: ($0.element.x, $0.element.y), toSegment: a, b) > 3 }.map(\.element)
                    if let residue = trailExcess(plane, width: width, height: height, background: background, from: a, to: b, stars: masked, sigma: sigma) {
                        trailsChecked += 1
                        trailResidue = max(trailResidue ?? -.infinity, residue)
                    }
                }
            }
        }
        var flatnessPercent = flatness, objectRatio: Double?
        if let object = c.extendedObject {
            if let match, let entry = truth.panels.first(where: { $0.panel == panelIndex }) {
                let check = ExtendedObjectCheck(plane: plane, flatnessPlane: flatnessPlane, width: width, height: height, object: object, configuration: c, filter: filterName,
                                                imageToSky: match.transform, skyOffset: (entry.originX, entry.originY), photometry: photometry,
                                                cellSize: background.cellSize)
                flatnessPercent = check.flatnessPercent
                objectRatio = check.fluxRatio
                notes.append("flatness measured with the extended object masked")
                if objectRatio == nil { notes.append("extended object flux not measured (no photometric scale for filter \(filterName))") }
            } else {
                flatnessPercent = nil
                notes.append("extended object not located (no star match): flatness not measured")
            }
        }
        let measured = stars.filter { $0.fwhm > 0 }
        let (rms, rmsStars) = match.map { cleanRMS($0, stars: stars, catalogue: catalogue, sigma: sigma, width: width, height: height) } ?? (nil, 0)
        return Report(file: file, panel: panelIndex, filter: filterName, backgroundNoise: sigma, skyLevel: level, flatnessPercent: flatnessPercent,
                      detectedStars: stars.count, medianFWHM: median(measured.map(\.fwhm)), medianEccentricity: median(measured.map(\.eccentricity)),
                      truthStarsInField: inField, recoveredStars: match?.pairs.count ?? 0,
                      recoveredFraction: inField > 0 ? Double(match?.pairs.count ?? 0) / Double(inField) : 0,
                      trailResidueSigma: trailResidue, trailsChecked: trailsChecked, matchedStars: match?.pairs.count ?? 0,
                      starRMS: rms, starsInRMS: rmsStars, imageToReference: match?.transform.affine, extendedObjectFluxRatio: objectRatio, notes: notes)
    }

    static func median(_ values: [Double]) -> Double? { values.isEmpty ? nil : BackgroundGrid.median(values) }

    static func distance(from p: (x: Double, y: Double), toSegment a: (x: Double, y: Double), _ b: (x: Double, y: Double)) -> Double {
        let dx = b.x - a.x, dy = b.y - a.y, length2 = dx * dx + dy * dy
        let t = length2 > 0 ? min(1, max(0, ((p.x - a.x) * dx + (p.y - a.y) * dy) / length2)) : 0
        return hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy))
    }

    /// Position RMS of matched stars that are bright and isolated, after a 5 σ clip of the residuals, px.
    static func cleanRMS(_ match: StarMatcher.Match, stars: [DetectedStar], catalogue: [(x: Double, y: Double, rate: Double)],
                         sigma: Double, width: Int, height: Int) -> (Double?, Int) {
        var residuals: [Double] = []
        for (imageIndex, catalogueIndex) in match.pairs {
            let star = stars[imageIndex]
            guard star.peak >= 20 * sigma, star.x >= 10, star.y >= 10, star.x < Double(width - 10), star.y < Double(height - 10) else { continue }
            let crowded = stars.contains { other in other.x != star.x && hypot(other.x - star.x, other.y - star.y) < 4 * max(star.fwhm, 2) }
            if crowded { continue }
            let q = match.transform.apply(star.x, star.y)
            residuals.append(hypot(q.x - catalogue[catalogueIndex].x, q.y - catalogue[catalogueIndex].y))
        }
        guard let centre = median(residuals) else { return (nil, 0) }
        let spread = 1.4826 * (median(residuals.map { abs($0 - centre) }) ?? 0)
        let kept = residuals.filter { $0 <= centre + 5 * max(spread, 1e-3) }
        guard !kept.isEmpty else { return (nil, 0) }
        return ((kept.map { $0 * $0 }.reduce(0, +) / Double(kept.count)).squareRoot(), kept.count)
    }

    /// σ from the MAD of (image − background), leaving out pixels within 3 FWHM of `exclude`d stars.
    static func residualSigma(_ plane: [Float], width: Int, height: Int, background: BackgroundGrid, exclude: [DetectedStar]) -> Double {
        var masked = [Bool](repeating: false, count: plane.count)
        for star in exclude { markDisc(&masked, width: width, height: height, x: star.x, y: star.y, radius: maskRadius(star, sigma: nil)) }
        var residuals: [Double] = []
        residuals.reserveCapacity(plane.count / 4)
        for y in stride(from: 0, to: height, by: 2) { for x in stride(from: 0, to: width, by: 2) where !masked[y * width + x] && plane[y * width + x].isFinite {
            residuals.append(Double(plane[y * width + x]) - background.value(x: x, y: y))
        } }
        let centre = BackgroundGrid.median(residuals)
        return 1.4826 * BackgroundGrid.median(residuals.map { abs($0 - centre) })
    }

    /// Mask radius around a star, px: 3 FWHM, and further for bright stars whose wings stay above the noise.
    static func maskRadius(_ star: DetectedStar, sigma: Double?) -> Double {
        let brightness = sigma.map { star.peak / max($0, 1e-30) } ?? 1
        return max(4, 3 * star.fwhm, star.fwhm * pow(max(brightness, 1), 0.25))
    }

    static func markDisc(_ mask: inout [Bool], width: Int, height: Int, x: Double, y: Double, radius: Double) {
        let r = Int(radius.rounded(.up))
        for py in max(0, Int(y) - r)...min(height - 1, Int(y) + r) { for px in max(0, Int(x) - r)...min(width - 1, Int(x) + r)
            where hypot(Double(px) - x, Double(py) - y) <= radius { mask[py * width + px] = true } }
    }

    /// Mean excess along a segment (±1 px) minus the mean of two parallel control bands 8 px away, in σ.
    static func trailExcess(_ plane: [Float], width: Int, height: Int, background: BackgroundGrid, from a: (x: Double, y: Double),
                            to b: (x: Double, y: Double), stars: [DetectedStar], sigma: Double) -> Double? {
        var masked = [Bool](repeating: false, count: plane.count)
        for star in stars { markDisc(&masked, width: width, height: height, x: star.x, y: star.y, radius: maskRadius(star, sigma: sigma)) }
        let length = hypot(b.x - a.x, b.y - a.y)
        guard length > 20 else { return nil }
        let ux = (b.x - a.x) / length, uy = (b.y - a.y) / length
        func bandMean(_ offset: Double) -> (Double, Int) {
            var sum = 0.0, count = 0
            var seen = Set<Int>()
            for step in stride(from: 0.0, through: length, by: 0.5) {
                for across in [-1.0, 0, 1.0] {
                    let x = Int((a.x + ux * step - uy * (offset + across)).rounded()), y = Int((a.y + uy * step + ux * (offset + across)).rounded())
                    guard x >= 5, y >= 5, x < width - 5, y < height - 5 else { continue }
                    let index = y * width + x
                    guard !masked[index], plane[index].isFinite, seen.insert(index).inserted else { continue }
                    sum += Double(plane[index]) - background.value(x: x, y: y)
                    count += 1
                }
            }
            return (sum, count)
        }
        let (onSum, onCount) = bandMean(0), (upSum, upCount) = bandMean(8), (downSum, downCount) = bandMean(-8)
        guard onCount > 50, upCount + downCount > 50, sigma > 0 else { return nil }
        return (onSum / Double(onCount) - (upSum + downSum) / Double(upCount + downCount)) / sigma
    }
}
