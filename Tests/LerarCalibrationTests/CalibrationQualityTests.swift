import Foundation
import LerarCore
import LerarIntegration
import LerarIO
import Testing
@testable import LerarCalibration
import LerarSimulator

/// A simulated session written to disk with its plan and masters, for calibration tests.
final class CalibrationSession: @unchecked Sendable {
    let path = NSTemporaryDirectory() + "lerar-cal-" + UUID().uuidString
    let configuration: SessionConfiguration
    let writer: SessionWriter
    let plan: LinkPlan
    let masters: [String: MasterBuilder.Built]

    init(_ change: (inout SessionConfiguration) -> Void) throws {
        var c = SessionConfiguration()
        c.width = 512
        c.height = 512
        c.filters = ["L"]
        c.lightsPerFilter = 6
        c.secondDarkExposure = 0
        change(&c)
        configuration = c
        writer = SessionWriter(configuration: c)
        _ = try writer.write(to: path + "/night")
        plan = try LinkPlan.make(roots: [path + "/night"], rules: LinkRules())
        masters = try MasterBuilder(plan: plan, outputFolder: path + "/master").build()
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func master(_ role: KeyPath<LightGroupLinks, LinkDecision>) throws -> Image {
        try ImageFile.read(masters[plan.lights[0][keyPath: role].group!]!.path)
    }

    var lights: [String] { plan.group(plan.lights[0].lightGroup)!.members }
}

func boxMean(_ image: [Float], width: Int, _ indices: [Int]) -> Double {
    indices.map { Double(image[$0]) }.reduce(0, +) / Double(indices.count)
}

@Suite(.serialized) struct CalibrationQualityTests {
    /// Sky only (no stars, gradients, cosmic rays or trails): a calibrated light must be flat.
    static let flatSky = try! CalibrationSession { c in
        c.stars = false
        c.gradients = false
        c.cosmicRaysPerMegapixel = 0
        c.trailFraction = 0
    }

    @Test func mastersHaveTheirNamesKeywordsAndLevels() throws {
        let session = Self.flatSky
        let names = Set(session.masters.values.map { URL(fileURLWithPath: $0.path).lastPathComponent })
        #expect(names == ["masterBias_BIN-1_GAIN-100.xisf", "masterDark_BIN-1_GAIN-100_EXPTIME-300s.xisf",
                          "masterDarkFlat_BIN-1_GAIN-100_EXPTIME-1s.xisf", "masterFlat_BIN-1_GAIN-100_EXPTIME-1s_FILTER-L.xisf"])
        let bias = try session.master(\.bias)
        #expect(bias.metadata.keyword("IMAGETYP")?.stringValue == "Master Bias" && bias.metadata.imageType == "MasterBias")
        #expect(bias.metadata.keyword("NCOMBINE")?.intValue == 20)
        #expect(abs(bias.statistics()[0].median * 65535 - 500) < 1)
        let dark = try session.master(\.dark)
        #expect(dark.metadata.keyword("EXPTIME")?.doubleValue == 300 && dark.metadata.keyword("IMAGETYP")?.stringValue == "Master Dark")
        #expect(dark.metadata.keywords.contains { $0.name == "HISTORY" && $0.comment.contains("rejection=winsorized") })
    }

    /// Flats with their dark-flat subtracted are held in memory for the integration when they fit three quarters of
    /// its memory budget, else calibrated as the integration reads them from their files: the same master flat either
    /// way, nothing left behind.
    @Test func aMasterFlatIsTheSameFromMemoryAndCalibratedAsRead() throws {
        let session = Self.flatSky
        let flatGroup = try #require(session.plan.groups.first { $0.type == .flat })
        let held = try ImageFile.read(session.masters[flatGroup.id]!.path)
        var builder = MasterBuilder(plan: session.plan, outputFolder: session.path + "/as-read")
        builder.flatParameters.maxMemory = 1 << 20   // 15 flats of 1 MB do not fit 0.75 MB
        let built = try builder.build(flatGroup, built: session.masters)
        let asRead = try ImageFile.read(built.path)
        #expect(held.samples == asRead.samples)
        let left = try FileManager.default.contentsOfDirectory(atPath: session.path + "/as-read")
        #expect(left == [URL(fileURLWithPath: built.path).lastPathComponent], "left behind: \(left)")
    }

    /// Flats are calibrated as they are read only where a band reader does not decode them whole (which would hold
    /// every flat at once): uncompressed FITS and XISF yes, compressed XISF and unreadable files no.
    @Test func onlyFlatsReadableByBandsAreCalibratedAsRead() throws {
        let session = Self.flatSky
        let flatGroup = try #require(session.plan.groups.first { $0.type == .flat })
        let builder = MasterBuilder(plan: session.plan, outputFolder: session.path)
        #expect(builder.readByBands(flatGroup.members))
        let image = try ImageFile.read(flatGroup.members[0])
        let plain = session.path + "/plain-flat.xisf", compressed = session.path + "/compressed-flat.xisf"
        try ImageFile.write(image, to: plain, options: ImageWriteOptions(sampleFormat: .float32, overwrite: true))
        try ImageFile.write(image, to: compressed, options: ImageWriteOptions(sampleFormat: .float32, compression: "zstd+sh", overwrite: true))
        #expect(builder.readByBands([plain]))
        #expect(!builder.readByBands(flatGroup.members + [compressed]))
        #expect(!builder.readByBands([session.path + "/no-such-flat.fits"]))
    }

    /// A dark-flat master of another size than the flats is refused, naming the flat and the master, on either path.
    @Test func aDarkFlatOfAnotherSizeIsRefusedNamingTheFlat() throws {
        let session = Self.flatSky
        let flatGroup = try #require(session.plan.groups.first { $0.type == .flat })
        let calibrationGroup = try #require(MasterBuilder(plan: session.plan, outputFolder: session.path).flatCalibrationGroup(flatGroup))
        let small = session.path + "/small-dark-flat.xisf"
        try ImageFile.write(Image(width: 16, height: 16, samples: [Float](repeating: 0.01, count: 256)), to: small,
                            options: ImageWriteOptions(sampleFormat: .float32, overwrite: true))
        var masters = session.masters
        masters[calibrationGroup] = MasterBuilder.Built(group: calibrationGroup, path: small, frames: 1, rejection: "existing master")
        for budget in [1 << 20, 1 << 30] {   // calibrated as read; held in memory
            var builder = MasterBuilder(plan: session.plan, outputFolder: session.path + "/mismatch-\(budget)")
            builder.flatParameters.maxMemory = budget
            do {
                _ = try builder.build(flatGroup, built: masters)
                Issue.record("a 16×16 dark-flat was accepted for \(flatGroup.members.count) flats (budget \(budget))")
            } catch {
                let message = error.localizedDescription
                #expect(message.contains(URL(fileURLWithPath: flatGroup.members[0]).lastPathComponent) && message.contains("small-dark-flat.xisf")
                        && message.contains("16×16"), "\(message)")
            }
        }
    }

    @Test func calibratedLightsAreFlatWithoutDonutsVignettingOrAmpGlow() throws {
        let session = Self.flatSky
        let c = session.configuration
        var parameters = CalibrationParameters()
        parameters.cosmeticCorrection = true
        let calibrator = try LightCalibrator(bias: nil, dark: try session.master(\.dark), flat: try session.master(\.flat), parameters: parameters)
        // Average the calibrated lights to beat the shot noise down; measure relative structure.
        var sum = [Double](repeating: 0, count: c.width * c.height)
        var single: [Float] = []
        for light in session.lights {
            let (calibrated, factors) = try calibrator.calibrate(try ImageFile.read(light))
            #expect(factors == [1])
            if single.isEmpty { single = calibrated.samples }
            for i in 0..<sum.count { sum[i] += Double(calibrated.samples[i]) }
        }
        let mean = sum.map { Float($0 / Double(session.lights.count)) }
        let level = mean.withUnsafeBufferPointer { RobustStatistics.median($0) }
        let width = c.width
        func box(_ x0: Int, _ y0: Int, _ size: Int) -> [Int] { (y0..<(y0 + size)).flatMap { y in (x0..<(x0 + size)).map { y * width + $0 } } }
        // Vignetting: corners (25 % darker in the raw flat) match the centre.
        for (x, y) in [(2, 2), (width - 22, 2), (2, c.height - 22), (width - 22, c.height - 22), (246, 246)] {
            let residue = boxMean(mean, width: width, box(x, y, 20)) / level - 1
            #expect(abs(residue) < 0.005, "vignetting residue \(residue) at (\(x),\(y))")
        }
        // Dust donuts: the ring matches the clear sky around it.
        for donut in session.writer.renderer.optics.donuts {
            let ring = (0..<mean.count).filter { i in let r = hypot(Double(i % width) - donut.x, Double(i / width) - donut.y) / donut.radius; return r > 0.55 && r < 0.9 }
            let around = (0..<mean.count).filter { i in let r = hypot(Double(i % width) - donut.x, Double(i / width) - donut.y) / donut.radius; return r > 1.5 && r < 2.5 }
            let residue = boxMean(mean, width: width, ring) / boxMean(mean, width: width, around) - 1
            #expect(abs(residue) < 0.005, "donut residue \(residue) (depth \(donut.depth))")
        }
        // Amp glow (top-right corner): below the noise of a single calibrated light.
        let noise = single.withUnsafeBufferPointer { RobustStatistics.compute($0).sigmaMAD }
        let glow = boxMean(mean, width: width, box(width - 8, 0, 8)) - level
        #expect(abs(glow) < noise, "amp glow residue \(glow) vs noise \(noise)")
        // No hot pixels above 5σ after cosmetic correction (and the dead column is filled).
        let hot = single.indices.filter { Double(single[$0]) > level + 5 * noise }
        #expect(hot.isEmpty, "\(hot.count) hot pixels remain")
        let dead = try #require(session.writer.renderer.sensor.deadColumn)
        #expect(abs(Double(single[256 * width + dead]) / level - 1) < 5 * noise / level)
    }

    @Test func darkOptimizationFindsTheTemperatureFactor() throws {
        let session = Self.flatSky
        let c = session.configuration
        // A light 4 °C warmer than the darks: dark current × 2^(4/6).
        var frame = session.writer.plan.frames.first { $0.kind == .light }!
        frame.sensorTemperature = c.setTemperature + 4
        let expected = SensorModel.temperatureFactor(frame.sensorTemperature, setPoint: c.setTemperature)
        let adu = session.writer.renderer.render(frame)
        let light = Image(width: c.width, height: c.height, samples: adu.map { $0 / 65535 })
        var parameters = CalibrationParameters()
        parameters.optimizeDark = true
        let calibrator = try LightCalibrator(bias: try session.master(\.bias), dark: try session.master(\.dark), flat: nil, parameters: parameters)
        let (optimized, factors) = try calibrator.calibrate(light)
        #expect(abs(factors[0] / expected - 1) < 0.02, "k = \(factors[0]), simulated \(expected)")
        // Calibrated again with the factor found (as `lerar run` recalibrates for registration): the same samples.
        let again = try calibrator.calibrate(light, darkFactors: factors)
        #expect(again.1 == factors && again.0.samples == optimized.samples)
        // Without optimisation the dark is used as it is.
        parameters.optimizeDark = false
        let plain = try LightCalibrator(bias: try session.master(\.bias), dark: try session.master(\.dark), flat: nil, parameters: parameters).calibrate(light)
        #expect(plain.1 == [1])
    }

    @Test func pedestalIsRecordedAndBadFlatsAreGuarded() throws {
        let session = Self.flatSky
        var flat = try session.master(\.flat)
        var parameters = CalibrationParameters()
        parameters.pedestal = 100
        // The dead column and cold pixels already give zeros in the flat; 102 more bad pixels are planted away from them.
        let baseline = try LightCalibrator(bias: nil, dark: nil, flat: flat, parameters: parameters).invalidFlatPixels
        #expect(baseline >= session.configuration.height && baseline <= session.configuration.height + session.configuration.coldPixelCount)
        let dead = session.writer.renderer.sensor.deadColumn!
        let planted = (0..<100).map { 7 * session.configuration.width + ($0 + (dead < 150 ? 200 : 0)) }
        flat.withMutableSamples { samples in for i in planted { samples[i] = 0 }; samples[planted[0] + 3 * 512] = -1; samples[planted[0] + 5 * 512] = .nan }
        let calibrator = try LightCalibrator(bias: nil, dark: try session.master(\.dark), flat: flat, parameters: parameters)
        #expect(calibrator.invalidFlatPixels == baseline + 102)
        #expect(calibrator.warnings.contains { $0.contains("master-flat pixels are zero, negative") })
        let (out, _) = try calibrator.calibrate(try ImageFile.read(session.lights[0]))
        let allFinite = out.samples.allSatisfy { $0.isFinite }
        #expect(allFinite)
        #expect(out.metadata.keyword("PEDESTAL")?.doubleValue == 100)
        // The dead column reads 0 in light and dark alike: calibrated it sits at the pedestal, not below zero.
        #expect(abs(Double(out[dead, 300]) * 65535 - 100) < 1)
    }
}

/// Aligned lights (no dithers) with cosmic rays and satellite trails: calibrated and integrated, both are gone.
@Suite struct CalibratedStackTests {
    @Test func trailsAndCosmicRaysVanishFromTheStack() throws {
        let session = try CalibrationSession { c in
            c.width = 384
            c.height = 384
            c.lightsPerFilter = 10
            c.ditherPixels = 0
            c.rotationJitterDegrees = 0
            c.meridianFlip = false
            c.trailFraction = 0.5
            c.cosmicRaysPerMegapixel = 40
        }
        let outcome = try SessionCalibrator(plan: session.plan, outputFolder: session.path + "/out", parameters: CalibrationParameters()).run()
        #expect(outcome.calibrated.count == 10 && outcome.skipped.isEmpty)
        var parameters = IntegrationParameters.lights
        parameters.rejection = .winsorized
        let stack = try IntegrationEngine(parameters: parameters).integrate(paths: outcome.calibrated.map(\.output))
        let truth = session.path + "/night/truth"
        let trails = try SessionTruth.load(folder: truth).lights.flatMap(\.conditions.trails)
        #expect(trails.count >= 2, "the session should have trails")
        let report = try ResultVerifier.verify(stack.image, file: "stack", truthFolder: truth)
        #expect(report.trailsChecked >= 2)
        #expect(try #require(report.trailResidueSigma) < 1, "trail residue \(report.trailResidueSigma ?? .nan) σ")
        // Cosmic-ray hits of every light: on the sky, the stack shows no spike over its 5×5 neighbourhood there.
        let truthLights = try SessionTruth.load(folder: truth).lights
        var worst = 0.0, checked = 0
        for light in truthLights {
            for hit in light.conditions.cosmicRays where hit[0] >= 2 && hit[1] >= 2 && hit[0] < 382 && hit[1] < 382 {
                var around: [Double] = []
                for dy in -2...2 { for dx in -2...2 where dx != 0 || dy != 0 { around.append(Double(stack.image[hit[0] + dx, hit[1] + dy])) } }
                around.sort()
                let local = around[around.count / 2]
                guard abs(local - report.skyLevel) < 5 * report.backgroundNoise, around.last! < local + 10 * report.backgroundNoise else { continue }
                checked += 1
                worst = max(worst, (Double(stack.image[hit[0], hit[1]]) - local) / report.backgroundNoise)
            }
        }
        #expect(checked > 50, "only \(checked) cosmic-ray hits on clear sky")
        #expect(worst < 5, "a cosmic ray survived: \(worst) σ")
        // Rejection happened where the defects were.
        #expect(stack.frames.reduce(0) { $0 + $1.rejectedHigh } > trails.count * 300)
    }
}
