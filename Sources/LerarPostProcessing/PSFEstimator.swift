import Foundation
import LerarCore
import LerarRegistration

/// Settings of the PSF measurement (DynamicPSF's practice); each default is declared here once.
public struct PSFEstimatorParameters: Sendable, Equatable, Codable {
    /// Most stars fitted, brightest unsaturated isolated first; default 50 (PixInsight's guidance: 20–50 medium stars).
    public var maximumStars: Int = 50
    /// Fits kept after sorting by residual, as a fraction; default 0.75 (about 40 of 52 in PixInsight's example).
    public var keepFraction: Double = 0.75
    /// A star whose peak reaches this fraction of the image's maximum is treated as saturated; default 0.9.
    public var saturationFraction: Double = 0.9
    /// Detection threshold, background σ; default 20.
    public var detectionSigma: Double = 20

    public init(maximumStars: Int = 50, keepFraction: Double = 0.75, saturationFraction: Double = 0.9, detectionSigma: Double = 20) {
        self.maximumStars = maximumStars
        self.keepFraction = keepFraction
        self.saturationFraction = saturationFraction
        self.detectionSigma = detectionSigma
    }
}

/// The mean elliptical Moffat PSF of an image's bright, unsaturated, isolated stars.
public enum PSFEstimator {
    public static func measure(plane: [Float], width: Int, height: Int, parameters: PSFEstimatorParameters = .init()) throws -> MoffatPSF {
        let survey = StarSurvey(plane: plane, width: width, height: height, cellSize: 64)
        let maximum = plane.lazy.filter(\.isFinite).max().map(Double.init) ?? 1
        let saturated = parameters.saturationFraction * maximum
        var stars = survey.stars(threshold: parameters.detectionSigma)
            .filter { $0.peak + Double(survey.skyMap[Int($0.y) * width + Int($0.x)]) < saturated }
        stars.sort { $0.flux > $1.flux }
        var fits: [PSFFit] = []
        for (index, star) in stars.enumerated() where fits.count < parameters.maximumStars {
            let radius = max(6, Int((3 * star.fwhm).rounded(.up)))
            let isolated = !stars.indices.contains { $0 != index && hypot(stars[$0].x - star.x, stars[$0].y - star.y) < 1.5 * Double(radius) }
            guard isolated, let fit = PSFFit.fit(plane, width: width, height: height, x: star.x, y: star.y, radius: radius,
                                                  model: .moffat, fwhmGuess: star.fwhm), fit.beta != nil else { continue }
            fits.append(fit)
        }
        guard fits.count >= 3 else {
            throw PostProcessingError.insufficientData("PSF: \(fits.count) bright unsaturated isolated stars could be fitted; at least 3 are needed")
        }
        fits.sort { $0.residual < $1.residual }
        let kept = Array(fits.prefix(max(3, Int((Double(fits.count) * parameters.keepFraction).rounded()))))
        // The angle is axial (θ and θ + 180° are the same ellipse): average on the doubled angle, weighted by elongation.
        var cx = 0.0, sx = 0.0
        for fit in kept {
            let t = 2 * fit.angle * .pi / 180, e = fit.fwhmMajor - fit.fwhmMinor
            cx += e * cos(t); sx += e * sin(t)
        }
        let angle = cx == 0 && sx == 0 ? 0 : atan2(sx, cx) * 90 / .pi
        return MoffatPSF(fwhmMajor: BackgroundGrid.median(kept.map(\.fwhmMajor)), fwhmMinor: BackgroundGrid.median(kept.map(\.fwhmMinor)),
                         angle: angle, beta: BackgroundGrid.median(kept.compactMap(\.beta)), starCount: kept.count)
    }
}
