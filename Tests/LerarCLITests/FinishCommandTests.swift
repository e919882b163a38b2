import Foundation
import LerarCore
import LerarIO
import LerarSimulator
import Testing

/// `lerar finish` as a user runs it: masters by their FILTER keyword, a JSON report, clear refusals.
@Suite struct FinishCommandTests {
    /// R, G and B masters of 256² (the simulator's sky of each filter with a stack's noise), written as FITS.
    static func writeMasters(in folder: String) throws -> [String] {
        var c = SessionConfiguration()
        c.width = 256; c.height = 256
        c.filters = ["R", "G", "B"]
        let renderer = FrameRenderer(plan: SessionPlan(configuration: c))
        var random = SeededRandom(seed: 9)
        return try c.filters.map { filter in
            var image = renderer.truthSky(filter: filter, panel: 1)
            image.withMutableChannel(0) { plane in for i in 0..<plane.count { plane[i] = min(1, plane[i] + 0.0002 * Float(random.gaussian())) } }
            image.metadata.setKeyword(.string("FILTER", filter))
            let path = folder + "/masterLight_\(filter).fits"
            try ImageFile.write(image, to: path, options: ImageWriteOptions(sampleFormat: .float32))
            return path
        }
    }

    @Test func finishesMastersAndReportsJSON() throws {
        let scratch = Scratch()
        let masters = try Self.writeMasters(in: scratch.path)
        let run = try CLIRun.run(["finish"] + masters + ["-o", "final", "--json"], in: scratch.path)
        #expect(run.status == 0, "\(run.error)")
        let json = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]
        #expect(json?["schema"] as? String == "lerar.finish")
        let finish = json?["finish"] as? [String: Any]
        #expect((finish?["inputs"] as? [String: String])?.keys.sorted() == ["B", "G", "R"])
        #expect(((finish?["steps"] as? [[String: Any]])?.map { $0["name"] as? String ?? "" } ?? []).starts(with: ["LinearFit", "ChannelCombination", "BackgroundNeutralization"]))
        #expect((finish?["notes"] as? [String])?.contains { $0.contains("no LN reference") } == true, "the PSF source is said")
        for name in ["RGB_linear.xisf", "RGB.xisf", "RGB.tif", "RGB.png", "PSF.xisf", "finish.json"] {
            #expect(FileManager.default.fileExists(atPath: scratch.path + "/final/" + name), "final/\(name)")
        }
        let rgb = try ImageFile.read(scratch.path + "/final/RGB.xisf")
        #expect(rgb.channelCount == 3 && rgb.width == 256)

        // Again without --overwrite: refused at once, naming the file; with it, replaced.
        let again = try CLIRun.run(["finish"] + masters + ["-o", "final"], in: scratch.path)
        #expect(again.status == 1 && again.error.contains("RGB_linear.xisf") && again.error.contains("--overwrite"), "\(again.error)")
        let replaced = try CLIRun.run(["finish"] + masters + ["-o", "final", "--overwrite", "--no-deconvolution", "--stretch", "arcsinh"], in: scratch.path)
        #expect(replaced.status == 0 && !replaced.output.contains("Deconvolution"), "\(replaced.error)")
    }

    @Test func refusesWhatCannotBeFinished() throws {
        let scratch = Scratch()
        let masters = try Self.writeMasters(in: scratch.path)
        // Two channels only.
        let missing = try CLIRun.run(["finish", masters[0], masters[1], "-o", "final"], in: scratch.path)
        #expect(missing.status != 0 && missing.error.contains("needs R, G and B"), "\(missing.error)")
        // A master of another size.
        let small = Image(width: 100, height: 100, samples: [Float](repeating: 0.01, count: 10_000))
        try ImageFile.write(small, to: scratch.path + "/small.fits")
        let mismatch = try CLIRun.run(["finish", masters[0], masters[1], "--blue", "small.fits", "-o", "final"], in: scratch.path)
        #expect(mismatch.status == 1 && mismatch.error.contains("100×100"), "\(mismatch.error)")
        // A file without FILTER and no role given.
        let unknown = try CLIRun.run(["finish", "small.fits", "-o", "final"], in: scratch.path)
        #expect(unknown.status != 0 && unknown.error.contains("small.fits") && unknown.error.contains("FILTER"), "\(unknown.error)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/final/RGB_linear.xisf"), "nothing written")
    }
}
