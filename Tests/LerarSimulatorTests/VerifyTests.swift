import Foundation
import LerarCore
import LerarIO
import Testing
@testable import LerarSimulator

/// `lerar verify` scores what it is given: a perfect sky scores perfectly, a raw light shows its flaws.
@Suite(.serialized) struct VerifyTests {
    static let session: (folder: SessionFolder, writer: SessionWriter) = {
        var c = smallConfiguration(seed: 5)
        c.width = 512
        c.height = 512
        c.filters = ["L"]
        c.lightsPerFilter = 6
        c.trailFraction = 0.5
        let folder = SessionFolder()
        let writer = SessionWriter(configuration: c)
        _ = try! writer.write(to: folder.path)
        return (folder, writer)
    }()

    var truthFolder: String { Self.session.folder.file("truth") }

    @Test func theTruthSkyWithNoiseScoresAsPerfect() throws {
        var sky = try ImageFile.read(truthFolder + "/sky_L.fits")
        var random = SeededRandom(seed: 3)
        let level = sky.statistics()[0].median
        sky.withMutableSamples { samples in for i in 0..<samples.count { samples[i] += Float(0.01 * level * random.gaussian()) } }
        let report = try ResultVerifier.verify(sky, file: "sky", truthFolder: truthFolder)
        let c = Self.session.writer.plan.configuration
        #expect(abs(report.backgroundNoise / (0.01 * level) - 1) < 0.05, "noise \(report.backgroundNoise) vs \(0.01 * level)")
        #expect(try #require(report.flatnessPercent) < 0.3)
        #expect(try #require(report.starRMS) < 0.05)
        #expect(report.starsInRMS > 30)
        // Half-maximum FWHM of pixel-integrated stars: the rendered FWHM broadened by the pixel (≈ +3 %), ±5 %.
        #expect(abs(try #require(report.medianFWHM) / c.fwhmRange.lowerBound - 1.03) < 0.05)
        #expect(try #require(report.medianEccentricity) < 0.3)
        #expect(report.recoveredFraction > 0.5)
        let transform = try #require(report.imageToReference)
        #expect(abs(transform.c) < 0.05 && abs(transform.f) < 0.05 && abs(transform.a - 1) < 1e-3)
        if let residue = report.trailResidueSigma { #expect(abs(residue) < 1) }
    }

    @Test func aCalibratedLightShowsItsTransformGradientAndTrail() throws {
        let (folder, writer) = Self.session
        let c = writer.plan.configuration
        let truth = try SessionTruth.load(folder: truthFolder)
        let transmission = try ImageFile.read(truthFolder + "/transmission_L.fits")
        var checkedTrail = false
        for light in truth.lights {
            // Calibrate with the truth: subtract bias, divide by the transmission.
            var image = try ImageFile.read(folder.file(light.file))
            image.withMutableSamples { samples in
                transmission.withSamples { t in for i in 0..<samples.count { samples[i] = (samples[i] - Float(c.biasADU / 65535)) / t[i] } }
            }
            let report = try ResultVerifier.verify(image, file: light.file, truthFolder: truthFolder)
            let fitted = try #require(report.imageToReference)
            for (x, y) in [(0.0, 0.0), (511.0, 0.0), (0.0, 511.0), (511.0, 511.0)] {
                let want = light.lightToReference.apply(x, y), got = fitted.apply(x, y)
                #expect(hypot(want.x - got.x, want.y - got.y) < 0.1, "\(light.file) corner error")
            }
            #expect(try #require(report.starRMS) < 0.1)
            // The light-pollution gradient is still there: flatness of the order of its strength.
            #expect(try #require(report.flatnessPercent) > 100 * light.conditions.gradientStrength * 0.5)
            if light.conditions.trails.isEmpty {
                if let residue = report.trailResidueSigma { #expect(residue < 1.5, "\(light.file): residue \(residue) without its own trail") }
            } else {
                checkedTrail = true
                #expect(try #require(report.trailResidueSigma) > 2, "\(light.file): its own trail not seen")
            }
        }
        #expect(checkedTrail, "no light had a trail; raise trailFraction")
    }
}

/// Writes the session of `c` and scores its L truth sky with Gaussian noise of `noise` × the sky level added, and a
/// left-to-right gradient of `gradient` × the sky level.
func verifyNoisyTruthSky(_ c: SessionConfiguration, noise: Double, gradient: Double = 0) throws -> ResultVerifier.Report {
    let folder = SessionFolder()
    _ = try SessionWriter(configuration: c).write(to: folder.path)
    var sky = try ImageFile.read(folder.file("truth") + "/sky_L.fits")
    var random = SeededRandom(seed: 3)
    let level = sky.statistics()[0].median
    let width = sky.width
    sky.withMutableSamples { samples in
        for i in 0..<samples.count {
            samples[i] += Float(noise * level * random.gaussian() + gradient * level * Double(i % width) / Double(width - 1))
        }
    }
    return try ResultVerifier.verify(sky, file: "sky", truthFolder: folder.file("truth"))
}

/// The undersampled option (for drizzle): stars of 1.2–1.6 px FWHM, rendered with fine enough pixel integration
/// that the measured FWHM and positions stay true.
@Suite struct UndersampledSessionTests {
    @Test func undersampledStarsAreMeasuredAtTheirTrueFWHMAndPositions() throws {
        var c = smallConfiguration(seed: 11)
        c.filters = ["L"]
        c.lightsPerFilter = 2
        c.fwhmRange = SessionConfiguration.undersampledFWHM
        let report = try verifyNoisyTruthSky(c, noise: 0.01)
        let fwhm = try #require(report.medianFWHM)
        print(String(format: "undersampled truth sky: FWHM %.2f px (rendered %.2f), star RMS %.3f px over %d stars", fwhm, c.fwhmRange.lowerBound, report.starRMS ?? -1, report.starsInRMS))
        // A 1.2 px star is broadened by its 1 px pixel to about 1.4–1.6 px at half maximum.
        #expect(fwhm > 1.2 && fwhm < 1.8, "FWHM \(fwhm) px")
        #expect(try #require(report.starRMS) < 0.1)
    }
}

/// With an extended object, flatness is measured around it: a noisy truth sky must read flat (the mask's edge cells,
/// resting on a few pixels, once read as structure) and the object's flux as the truth's.
@Suite struct ExtendedObjectVerifyTests {
    /// 768², L, two lights, the standard galaxy.
    static var objectSession: SessionConfiguration {
        var c = smallConfiguration(seed: 13)
        c.width = 768
        c.height = 768
        c.filters = ["L"]
        c.lightsPerFilter = 2
        c.extendedObject = .standard(width: 768, height: 768)
        return c
    }

    @Test func theTruthSkyWithAnObjectAndNoiseReadsFlatAndWhole() throws {
        let c = Self.objectSession
        // 0.7 % of the sky per pixel: the noise of a 16-sub stack of 120 s subs at this sky level.
        let report = try verifyNoisyTruthSky(c, noise: 0.007)
        let flatness = try #require(report.flatnessPercent), flux = try #require(report.extendedObjectFluxRatio)
        print(String(format: "figure: truth sky with the object and 0.7 %% noise: flatness %.3f %%, object flux %.1f %%", flatness, 100 * flux))
        // The cells' own noise reads 0.08 % peak-to-peak here with the truth's stars subtracted (0.098 % with them in; the
        // old masked-edge cells read 0.40 %).
        #expect(flatness < 0.15, "flatness \(flatness) % on the truth")
        #expect(abs(flux - 1) < 0.02, "object flux \(flux) of the truth")
    }

    /// A known gradient added to the noisy truth sky reads at its strength: the flatness measure sees what it must
    /// (and the truth's stars it subtracts do not hide it).
    @Test func aKnownGradientOnTheTruthSkyReadsAtItsStrength() throws {
        let c = Self.objectSession
        let strength = 0.003   // 0.3 % of the sky from the left edge to the right one
        let report = try verifyNoisyTruthSky(c, noise: 0.007, gradient: strength)
        let flatness = try #require(report.flatnessPercent)
        print(String(format: "figure: truth sky with a %.2f %% gradient and 0.7 %% noise: flatness %.3f %%", 100 * strength, flatness))
        #expect(report.notes.contains { $0.contains("truth's stars subtracted") })
        // Cell centres span 15/16 of the width, the smoothing leans the edge cells inward, the noise adds its floor.
        #expect(flatness > 70 * strength && flatness < 115 * strength, "flatness \(flatness) % for a \(100 * strength) % gradient")
    }
}
