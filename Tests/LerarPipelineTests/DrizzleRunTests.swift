import Foundation
import LerarCore
import LerarIO
@testable import LerarPipeline
import LerarSimulator
import Testing

/// `integration.drizzle` in `lerar run` on an undersampled, dithered session with satellite trails: the drizzled
/// master has the normal master's sky, no holes, its trails rejected (the integration's rejection carried over) and
/// its stars where the truth has them.
@Suite(.serialized) struct DrizzleRunTests {
    @Test func anUndersampledSessionIsDrizzledWithTheIntegrationsRejection() throws {
        let folder = NSTemporaryDirectory() + "lerar-pipeline-drizzle-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var c = SessionConfiguration()
        c.width = 256; c.height = 256; c.lightsPerFilter = 12; c.seed = 3
        c.fwhmRange = SessionConfiguration.undersampledFWHM
        c.trailFraction = 0.3
        c.biasCount = 5; c.darkCount = 5; c.flatCount = 5; c.darkFlatCount = 5; c.secondDarkExposure = 0
        _ = try SessionWriter(configuration: c).write(to: folder + "/session")
        var configuration = PipelineConfiguration()
        configuration.integration.drizzle = 2
        let summary = try PipelineRunner(options: .init(roots: [folder + "/session"], output: folder + "/out", configuration: configuration), observer: SilentObserver()).run()
        let stack = try #require(summary.stacks.first)
        let master = try ImageFile.read(try #require(stack.master))
        let drizzled = try ImageFile.read(try #require(stack.drizzled)), coverage = try ImageFile.read(try #require(stack.drizzleCoverage))
        #expect(drizzled.width == 2 * master.width && drizzled.height == 2 * master.height)
        // Inside the area every frame covers (the autocrop, doubled), every output pixel received drops.
        let crop = try #require(stack.crop)
        var holes = 0
        for y in (2 * crop[1])..<(2 * (crop[1] + crop[3])) { for x in (2 * crop[0])..<(2 * (crop[0] + crop[2])) where !(coverage[x, y] > 0) || !drizzled[x, y].isFinite { holes += 1 } }
        #expect(holes == 0, "\(holes) output pixels without data inside the common area")
        let truth = folder + "/session/truth"
        let normal = try ResultVerifier.verify(master, file: "master", truthFolder: truth)
        let drizzle = try ResultVerifier.verify(drizzled, file: "drizzle", truthFolder: truth)
        print(String(format: "drizzle ×2: sky %.5f (normal %.5f), FWHM %.2f sky px (normal %.2f), truth stars matched %d (normal %d), RMS %.3f px, trails %d, residue %.2f σ (normal %.2f σ)",
                     drizzle.skyLevel, normal.skyLevel, (drizzle.medianFWHM ?? 0) / 2, normal.medianFWHM ?? 0, drizzle.matchedStars, normal.matchedStars,
                     drizzle.starRMS ?? -1, drizzle.trailsChecked, drizzle.trailResidueSigma ?? .nan, normal.trailResidueSigma ?? .nan))
        #expect(abs(drizzle.skyLevel / normal.skyLevel - 1) < 0.005, "LN applied where each drop lands: the same sky")
        #expect(drizzle.matchedStars >= normal.matchedStars, "truth stars found: drizzle \(drizzle.matchedStars), normal \(normal.matchedStars)")
        #expect(try #require(drizzle.starRMS) < 0.1)
        #expect(drizzle.trailsChecked > 0)
        #expect(try #require(drizzle.trailResidueSigma) < 1, "the integration's rejection of the trails is carried over")
    }
}

/// Two nights of a colour camera repeat file names (NIGHT_1/…_0001, NIGHT_2/…_0001): each frame's debayered file and
/// the mosaic kept for Bayer drizzle must stay apart (they once shared a name, and the drizzle read an RGB frame).
@Suite(.serialized) struct BayerDrizzleNightsTests {
    @Test func twoNightsWithRepeatedNamesAreBayerDrizzled() throws {
        let session = try PipelineSession(name: "osc-nights-drizzle", size: 192, lights: 4, nights: 2, oneShotColour: true)
        defer { session.remove() }
        var configuration = PipelineSession.configuration(keepIntermediates: true)
        configuration.integration.drizzle = 2
        let summary = try session.run(configuration)
        let stack = try #require(summary.stacks.first)
        #expect(stack.frames == 8)
        #expect(try ImageFile.readHeader(try #require(stack.drizzled)).channelCount == 3)
        let calibrated = try FileManager.default.subpathsOfDirectory(atPath: session.output + "/calibrated").filter { $0.hasSuffix(".xisf") }
        #expect(calibrated.filter { $0.contains("_d") }.count == 8 && calibrated.filter { !$0.contains("_d") }.count == 8, "\(calibrated.sorted())")
    }
}
