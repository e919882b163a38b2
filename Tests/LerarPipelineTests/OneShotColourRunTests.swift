import Foundation
import LerarCore
import LerarIO
@testable import LerarPipeline
import LerarSimulator
import Testing

/// `lerar run` on a one-shot-colour session: calibrated on the mosaic, debayered, registered on the channels' mean,
/// normalized and integrated per channel, and measured against the truth's star colours.
@Suite(.serialized) struct OneShotColourRunTests {
    /// Per truth star: the measured flux ratios R/G and B/G of `image` divided by the truth's, for bright isolated
    /// stars (aperture 3 FWHM, sky from the median of an annulus 4–6 FWHM).
    static func colourRatios(_ image: Image, truth: String, imageToReference: AffineTransform2D, fwhm: Double, scale: Double = 1) throws -> [(Double, Double)] {
        let text = try String(contentsOfFile: truth + "/stars_panel1.csv", encoding: .utf8)
        let stars = text.split(separator: "\n").dropFirst().compactMap { line -> (x: Double, y: Double, rate: Double, rgb: [Double])? in
            let f = line.split(separator: ",").compactMap { Double($0) }
            return f.count >= 7 ? (f[1], f[2], f[3], [f[4], f[5], f[6]]) : nil
        }.sorted { $0.rate > $1.rate }
        let toImage = try #require(imageToReference.inverted)
        let aperture = 3 * fwhm
        var ratios: [(Double, Double)] = []
        for star in stars.prefix(80) {
            let p = toImage.apply(star.x, star.y)
            guard p.x > 7 * fwhm, p.y > 7 * fwhm, p.x < Double(image.width) - 7 * fwhm, p.y < Double(image.height) - 7 * fwhm else { continue }
            let crowded = stars.contains { other in other.x != star.x && hypot(other.x - star.x, other.y - star.y) < 6 * fwhm / scale && other.rate > 0.1 * star.rate }
            if crowded { continue }
            var flux = [0.0, 0.0, 0.0]
            for channel in 0..<3 {
                var annulus: [Float] = [], sum = 0.0, count = 0
                for y in Int(p.y - 6 * fwhm)...Int(p.y + 6 * fwhm) {
                    for x in Int(p.x - 6 * fwhm)...Int(p.x + 6 * fwhm) {
                        let r = hypot(Double(x) - p.x, Double(y) - p.y), v = image[x, y, channel]
                        guard v.isFinite else { continue }
                        if r <= aperture { sum += Double(v); count += 1 } else if r >= 4 * fwhm && r <= 6 * fwhm { annulus.append(v) }
                    }
                }
                let sky = Double(annulus.sorted()[annulus.count / 2])
                flux[channel] = sum - sky * Double(count)
            }
            ratios.append(((flux[0] / flux[1]) / (star.rgb[0] / star.rgb[1]), (flux[2] / flux[1]) / (star.rgb[2] / star.rgb[1])))
        }
        return ratios
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    @Test func anOSCSessionGivesAnRGBMasterWithTheTruthsColoursAndAlignment() throws {
        let osc = try PipelineSession(name: "osc", size: 384, lights: 8, seed: 5, oneShotColour: true)
        let mono = try PipelineSession(name: "osc-mono", size: 384, lights: 8, seed: 5)
        defer { osc.remove(); mono.remove() }
        let summary = try osc.run()
        #expect(summary.stacks.count == 1 && summary.stacks[0].frames == 8)
        // Rejection is reported per channel too; their mean is the stack's overall share.
        let lowByChannel = try #require(summary.stacks[0].rejectedLowPercentByChannel), highByChannel = try #require(summary.stacks[0].rejectedHighPercentByChannel)
        #expect(lowByChannel.count == 3 && highByChannel.count == 3)
        #expect(abs(lowByChannel.reduce(0, +) / 3 - (summary.stacks[0].rejectedLowPercent ?? -1)) < 1e-9)
        #expect(abs(highByChannel.reduce(0, +) / 3 - (summary.stacks[0].rejectedHighPercent ?? -1)) < 1e-9)
        print("OSC rejection per channel, % low: \(lowByChannel), high: \(highByChannel)")
        let path = try #require(summary.stacks[0].master)
        #expect(path.contains("_CFA_"))
        let master = try ImageFile.read(path)
        #expect(master.channelCount == 3, "an OSC session integrates into an RGB master")
        let report = try osc.verify(path)
        let ratios = try Self.colourRatios(master, truth: osc.truth, imageToReference: try #require(report.imageToReference), fwhm: try #require(report.medianFWHM))
        #expect(ratios.count >= 5, "bright isolated stars measured: \(ratios.count)")
        let red = Self.median(ratios.map(\.0)), blue = Self.median(ratios.map(\.1))
        print(String(format: "OSC master: %d stars, median (R/G)/(R/G truth) %.3f, (B/G)/(B/G truth) %.3f; star RMS %.3f px, FWHM %.2f px",
                     ratios.count, red, blue, report.starRMS ?? -1, report.medianFWHM ?? -1))
        #expect(abs(red - 1) < 0.05 && abs(blue - 1) < 0.05, "star colours: R/G off by \(red), B/G off by \(blue)")

        let monoSummary = try mono.run()
        let monoReport = try mono.verify(try #require(monoSummary.stacks[0].master))
        let oscRMS = try #require(report.starRMS), monoRMS = try #require(monoReport.starRMS)
        print(String(format: "star RMS: OSC %.3f px, mono %.3f px on the same field", oscRMS, monoRMS))
        #expect(oscRMS <= 1.5 * max(monoRMS, 0.01), "OSC star RMS \(oscRMS) px vs mono \(monoRMS) px")
    }
}

/// A DSLR session of DNG files (no FITS keywords: types from folders, ISO as gain, no temperature) through `lerar run`.
@Suite(.serialized) struct CameraRawRunTests {
    @Test func aDNGSessionGoesThroughRunLikeItsFITSTwin() throws {
        let folder = NSTemporaryDirectory() + "lerar-pipeline-dng-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var c = SessionConfiguration()
        c.width = 256; c.height = 256; c.lightsPerFilter = 6; c.seed = 9; c.oneShotColor = true
        c.biasCount = 5; c.darkCount = 5; c.flatCount = 5; c.darkFlatCount = 5; c.secondDarkExposure = 0
        var results: [String: ResultVerifier.Report] = [:]
        for format in ["dng", "fits"] {
            c.format = format
            let session = folder + "/" + format
            _ = try SessionWriter(configuration: c).write(to: session)
            let summary = try PipelineRunner(options: .init(roots: [session], output: session + "-out", configuration: PipelineConfiguration()), observer: SilentObserver()).run()
            #expect(summary.stacks.count == 1 && summary.stacks[0].frames == 6, "\(format): \(summary.stacks.map { ($0.name, $0.frames) })")
            let master = try #require(summary.stacks.first?.master)
            #expect(try ImageFile.readHeader(master).channelCount == 3)
            results[format] = try ResultVerifier.verify(try ImageFile.read(master), file: master, truthFolder: session + "/truth")
        }
        let dng = try #require(results["dng"]), fits = try #require(results["fits"])
        print(String(format: "DNG session: star RMS %.3f px, noise %.3g; FITS twin: %.3f px, %.3g", dng.starRMS ?? -1, dng.backgroundNoise, fits.starRMS ?? -1, fits.backgroundNoise))
        #expect(abs(dng.backgroundNoise - fits.backgroundNoise) <= 0.01 * fits.backgroundNoise, "the same data read from raw files gives the same master")
        #expect((dng.starRMS ?? 1) < 0.1 && dng.recoveredFraction > 0.8)
    }
}

/// Bayer (CFA) drizzle of an undersampled one-shot-colour session against the VNG-debayered stack, by the truth's
/// star colours.
@Suite(.serialized) struct BayerDrizzleRunTests {
    @Test func bayerDrizzleKeepsStarColoursAtLeastAsWellAsVNG() throws {
        let session = try PipelineSession(name: "bayer-drizzle", size: 384, lights: 16, seed: 5, oneShotColour: true)
        defer { session.remove() }
        var configuration = PipelineConfiguration()
        configuration.integration.drizzle = 2
        let summary = try session.run(configuration)
        let stack = try #require(summary.stacks.first)
        let master = try ImageFile.read(try #require(stack.master)), drizzled = try ImageFile.read(try #require(stack.drizzled))
        #expect(drizzled.channelCount == 3 && drizzled.width == 2 * master.width)
        #expect(drizzled.metadata.keywords.contains { $0.comment.contains("Bayer (CFA) drizzle") })
        func error(_ image: Image, scale: Double) throws -> (Double, Double, Int) {
            let report = try ResultVerifier.verify(image, file: "", truthFolder: session.truth)
            let ratios = try OneShotColourRunTests.colourRatios(image, truth: session.truth, imageToReference: try #require(report.imageToReference),
                                                                fwhm: try #require(report.medianFWHM), scale: scale)
            let red = OneShotColourRunTests.median(ratios.map(\.0)), blue = OneShotColourRunTests.median(ratios.map(\.1))
            return (red, blue, ratios.count)
        }
        let vng = try error(master, scale: 1), bayer = try error(drizzled, scale: 2)
        print(String(format: "star colours (measured/truth): VNG R/G %.3f B/G %.3f (%d stars); Bayer drizzle ×2 R/G %.3f B/G %.3f (%d stars)",
                     vng.0, vng.1, vng.2, bayer.0, bayer.1, bayer.2))
        let vngError = max(abs(vng.0 - 1), abs(vng.1 - 1)), bayerError = max(abs(bayer.0 - 1), abs(bayer.1 - 1))
        #expect(bayer.2 >= 5)
        #expect(bayerError < 0.05, "Bayer drizzle colour error \(bayerError)")
        #expect(bayerError <= vngError + 0.005, "Bayer drizzle \(bayerError) vs VNG \(vngError)")
    }
}
