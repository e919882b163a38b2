import Foundation
import LerarCore
@testable import LerarPostProcessing
import Testing

/// Median of each channel of `image` over a rectangle.
func channelMedians(_ image: Image, _ r: (x: Int, y: Int, width: Int, height: Int)) -> [Double] {
    (0..<image.channelCount).map { channel in
        var values: [Float] = []
        for y in r.y..<(r.y + r.height) { for x in r.x..<(r.x + r.width) { values.append(image[x, y, channel]) } }
        return values.withUnsafeBufferPointer { RobustStatistics.median($0) }
    }
}

@Suite struct ColorProcessTests {
    @Test func linearFitRecoversAKnownLine() throws {
        let field = ColorFieldFixture()
        // green = a + b·red exactly (noise aside): the fit must find the inverse line back to the reference.
        var scaled = field.red
        scaled.withMutableChannel(0) { plane in for i in 0..<plane.count { plane[i] = 0.004 + 1.8 * plane[i] } }
        let (images, fits) = try ChannelLinearFit.link([field.red, scaled], referenceIndex: 0)
        #expect(abs(fits[1].scale - 1 / 1.8) < 0.005 && abs(fits[1].offset + 0.004 / 1.8) < 2e-5, "fit \(fits[1])")
        let difference = zip(images[0].samples, images[1].samples).map { abs(Double($0 - $1)) }.max() ?? 1
        #expect(difference < 1e-5)
        // Independent noise in both planes must not dilute the slope: R against G of the field follows the object,
        // stars and gradient, not the noise (slope of the object's pink colour through the gains, ≈ 0.8·1/(1.25·0.55)).
        let fit = try #require(field.green.withChannel(0) { g in field.red.withChannel(0) { ChannelLinearFit.fit(g, to: $0, width: 256, height: 256) } })
        #expect(fit.scale > 0.5, "slope diluted to \(fit.scale)")
    }

    @Test func channelCombinationCropsToTheCommonAreaAndRefusesMismatches() throws {
        let field = ColorFieldFixture()
        var red = field.red, blue = field.blue
        for y in 0..<red.height { for x in 0..<10 { red[x, y] = .nan } }
        for y in 240..<blue.height { for x in 0..<blue.width { blue[x, y] = .nan } }
        let combined = try ChannelCombination.combine(red: red, green: field.green, blue: blue)
        #expect(combined.crop.x == 10 && combined.crop.y == 0 && combined.crop.width == 246 && combined.crop.height == 240)
        #expect(combined.image.colorSpace == .rgb && !combined.image.samples.contains { $0.isNaN })
        #expect(combined.image[0, 0, 1] == field.green[10, 0])
        let small = Image(width: 100, height: 100)
        #expect(throws: PostProcessingError.self) { try ChannelCombination.combine(red: small, green: field.green, blue: field.blue) }
    }

    /// The green-tinted sky becomes grey: background medians within 1 σ, G/((R+B)/2) within 1 %; the automatic
    /// reference avoids the object (its cells are bright) and the stars.
    @Test func backgroundNeutralizationRemovesTheGreenCast() throws {
        let field = ColorFieldFixture()
        let result = try BackgroundNeutralization.apply(to: field.rgb)
        #expect(result.before.levels[1] > result.before.levels[0] * 1.3, "the fixture's sky is green: \(result.before.levels)")
        let after = try BackgroundReference.measure(result.image)
        let sigma = after.sigmas.max() ?? 0
        #expect((after.levels.max()! - after.levels.min()!) <= sigma, "backgrounds \(after.levels), σ \(sigma)")
        let cast = after.levels[1] / ((after.levels[0] + after.levels[2]) / 2)
        #expect(abs(cast - 1) <= 0.01, "green cast \(cast)")
        // Measured on a sky corner the test chose itself, not on the reference the process picked.
        let corner = channelMedians(result.image, field.skyCorner)
        #expect(abs(corner[1] / ((corner[0] + corner[2]) / 2) - 1) <= 0.03, "corner \(corner)")
        #expect(result.image.samples.allSatisfy { $0 > 0 }, "the sky keeps its pedestal")
    }

    /// After neutralization and colour calibration with the average star as white, every bright star's R/G and B/G
    /// match the truth (before the camera gains) within 5 %.
    @Test func colorCalibrationRestoresStarColours() throws {
        let field = ColorFieldFixture()
        let neutral = try BackgroundNeutralization.apply(to: field.rgb).image
        let calibrated = try ColorCalibration.apply(to: neutral)
        #expect(calibrated.starsUsed >= 20, "stars used \(calibrated.starsUsed)")
        // The truth's average star is white (colour indices are symmetric about 0), so the factors undo the gains.
        var errors: [Double] = []
        let planes = (0..<3).map { c in calibrated.image.withChannel(c) { Array($0) } }
        for star in field.stars where star.flux > 0.3 {
            let isolated = !field.stars.contains { $0.x != star.x && hypot($0.x - star.x, $0.y - star.y) < 14 }
            guard isolated, let flux = StarColorPhotometry.aperture(planes, width: field.width, height: field.height, x: star.x, y: star.y,
                                                                    radius: 5, saturation: 10) else { continue }
            let truth = ColorFieldFixture.colorRatios(star.colorIndex)
            errors.append(abs((flux[0] / flux[1]) / truth[0] - 1))
            errors.append(abs((flux[2] / flux[1]) / truth[2] - 1))
        }
        #expect(errors.count >= 20)
        let sorted = errors.sorted()
        // Measured: median 2.5 %, 90th percentile 3.6 %; the median is the sampling error of "the average star is
        // white" over the 26 isolated stars the calibration used.
        #expect(sorted[sorted.count / 2] <= 0.03 && sorted[sorted.count * 9 / 10] <= 0.05,
                "colour ratio errors: median \(sorted[sorted.count / 2]), 90th percentile \(sorted[sorted.count * 9 / 10])")
    }

    @Test func scnrLimitsGreenAndKeepsLightness() throws {
        let image = Image(width: 2, height: 1, colorSpace: .rgb, samples: [0.3, 0.7, 0.5, 0.3, 0.5, 0.2])
        let plain = try SCNR.apply(to: image, parameters: SCNRParameters(preserveLightness: false))
        #expect(abs(plain[0, 0, 1] - 0.4) < 1e-6 && plain[1, 0, 1] == 0.3, "only the excess over (R+B)/2 goes")
        let kept = try SCNR.apply(to: image)
        let before = CIELab.lab(r: 0.3, g: 0.5, b: 0.5), after = CIELab.lab(r: Double(kept[0, 0, 0]), g: Double(kept[0, 0, 1]), b: Double(kept[0, 0, 2]))
        #expect(abs(before.l - after.l) < 0.05 && after.a > before.a, "L* \(before.l) → \(after.l), a* \(before.a) → \(after.a)")
        let maximum = try SCNR.apply(to: image, parameters: SCNRParameters(method: .maximumNeutral, preserveLightness: false))
        #expect(maximum[0, 0, 1] == 0.5, "maximum neutral keeps teal")
        let half = try SCNR.apply(to: image, parameters: SCNRParameters(amount: 0.5, preserveLightness: false))
        #expect(abs(half[0, 0, 1] - 0.45) < 1e-6)
    }
}
