import Foundation
import LerarCore
import LerarIO
import Testing

/// `lerar debayer` on files as capture programs write them: the pattern from the header, the row order, a
/// pattern given by the user, and files that cannot be debayered among good ones.
@Suite struct DebayerCommandTests {
    /// A 32×32 mosaic whose red pixels hold 0.6, greens 0.3, blues 0.1 for the sensor's `pattern`, stored bottom-up
    /// when `bottomUp`, with these header cards.
    static func write(_ path: String, pattern: String, bottomUp: Bool, cards: [FITSKeyword]) throws {
        let colour: [Character: Float] = ["R": 0.6, "G": 0.3, "B": 0.1]
        let letters = Array(pattern)
        var image = Image(width: 32, height: 32)
        for y in 0..<32 { for x in 0..<32 {
            let stored = bottomUp ? 31 - y : y
            image[x, stored] = colour[letters[(y & 1) * 2 + (x & 1)]]!
        } }
        image.metadata.keywords = cards
        try ImageFile.write(image, to: path, options: ImageWriteOptions(sampleFormat: .uint16))
    }

    @Test func debayersByTheHeaderAndReportsWhatItCannot() throws {
        let scratch = Scratch()
        // ASIAIR/N.I.N.A. style (top-down), an ASCOM-style bottom-up file, a mono frame, an X-Trans frame.
        try Self.write(scratch.file("nina.fits"), pattern: "GBRG", bottomUp: false, cards: [.string("BAYERPAT", "GBRG"), .string("ROWORDER", "TOP-DOWN")])
        try Self.write(scratch.file("ascom.fits"), pattern: "RGGB", bottomUp: true, cards: [.string("BAYERPAT", "RGGB"), .string("ROWORDER", "BOTTOM-UP")])
        try Self.write(scratch.file("mono.fits"), pattern: "RGGB", bottomUp: false, cards: [])
        try Self.write(scratch.file("fuji.fits"), pattern: "RGGB", bottomUp: false, cards: [.string("BAYERPAT", String(repeating: "GGRGGB", count: 6))])
        let run = try CLIRun.run(["debayer", "nina.fits", "ascom.fits", "mono.fits", "fuji.fits", "-o", "out", "--json"], in: scratch.path)
        #expect(run.status == 2, "files that cannot be debayered make the status 2")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        let done = try #require(document["debayered"] as? [[String: Any]]), skipped = try #require(document["skipped"] as? [[String: Any]])
        #expect(done.count == 2 && skipped.count == 2)
        #expect(skipped.contains { ($0["path"] as? String) == "mono.fits" && ($0["reason"] as? String ?? "").contains("no Bayer pattern") })
        #expect(skipped.contains { ($0["path"] as? String) == "fuji.fits" && ($0["reason"] as? String ?? "").contains("X-Trans") })
        for name in ["nina_d.xisf", "ascom_d.xisf"] {
            let rgb = try ImageFile.read(scratch.file("out/" + name))
            #expect(rgb.channelCount == 3 && rgb.metadata.keyword("BAYERPAT") == nil)
            for (channel, expected) in [Float(0.6), 0.3, 0.1].enumerated() {
                rgb.withChannel(channel) { plane in #expect(plane.allSatisfy { abs($0 - expected) < 1e-4 }, "\(name) channel \(channel)") }
            }
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.file("out/mono_d.xisf")))

        // The mono frame with a pattern given, in super-pixel mode: half size.
        let given = try CLIRun.run(["debayer", "mono.fits", "-o", "out", "--pattern", "rggb", "--method", "superpixel", "--format", "fits"], in: scratch.path)
        #expect(given.status == 0, "\(given.error)")
        let half = try ImageFile.read(scratch.file("out/mono_d.fits"))
        #expect(half.width == 16 && half.height == 16 && abs(half[3, 3, 0] - 0.6) < 1e-4)
        #expect(try CLIRun.run(["debayer", "mono.fits", "-o", "out", "--pattern", "RGBG"], in: scratch.path).status != 0)
    }
}

/// `lerar info`, `convert` and `debayer` on a DSLR's raw files.
@Suite struct CameraRawCommandTests {
    @Test func infoConvertAndDebayerWorkOnRawFiles() throws {
        let scratch = Scratch()
        let simulated = try CLIRun.run(["simulate", "--out", "dslr", "--osc", "--format", "dng", "--size", "64", "64", "--lights", "2"], in: scratch.path)
        #expect(simulated.status == 0, "\(simulated.error)")
        let lights = try FileManager.default.contentsOfDirectory(atPath: scratch.file("dslr/lights")).filter { $0.hasSuffix(".dng") }.sorted()
        #expect(lights.count == 2)
        let light = "dslr/lights/" + lights[0]
        let info = try CLIRun.run(["info", light], in: scratch.path)
        #expect(info.status == 0 && info.output.contains("RAW 64×64×1 Gray UInt16") && info.output.contains("BAYERPAT RGGB"), "\(info.output)")
        let converted = try CLIRun.run(["convert", light, "light.fits"], in: scratch.path)
        #expect(converted.status == 0, "\(converted.error)")
        let raw = try ImageFile.read(scratch.file(light)), fits = try ImageFile.read(scratch.file("light.fits"))
        #expect(raw.samples == fits.samples && fits.metadata.acquisition.bayerPattern == "RGGB" && fits.metadata.acquisition.exposure == 300)
        let debayered = try CLIRun.run(["debayer", light, "-o", "rgb"], in: scratch.path)
        #expect(debayered.status == 0)
        let rgb = try ImageFile.read(scratch.file("rgb/" + (lights[0] as NSString).deletingPathExtension + "_d.xisf"))
        #expect(rgb.channelCount == 3)
        let back = try CLIRun.run(["convert", "light.fits", "copy.dng"], in: scratch.path)
        #expect(back.status != 0 && back.error.contains("never written"), "\(back.error)")
    }
}

/// `lerar integrate --drizzle` from `lerar register --json`'s record of sources and transforms.
@Suite struct DrizzleCommandTests {
    @Test func integrateDrizzlesFromTheRegistrationRecord() throws {
        let scratch = Scratch()
        #expect(try CLIRun.run(["simulate", "--out", "s", "--undersampled", "--size", "128", "128", "--lights", "6"], in: scratch.path).status == 0)
        let lights = try FileManager.default.contentsOfDirectory(atPath: scratch.file("s/lights/L")).filter { $0.hasSuffix(".fits") }.sorted().map { "s/lights/L/" + $0 }
        let registered = try CLIRun.run(["register"] + lights + ["-o", "reg", "--json"], in: scratch.path)
        #expect(registered.status == 0, "\(registered.error)")
        try Data(registered.output.utf8).write(to: URL(fileURLWithPath: scratch.file("reg.json")))
        let outputs = lights.map { "reg/" + (($0 as NSString).lastPathComponent as NSString).deletingPathExtension + "_r.xisf" }
        let run = try CLIRun.run(["integrate"] + outputs + ["-o", "stack.xisf", "--drizzle", "2", "--registration", "reg.json"], in: scratch.path)
        #expect(run.status == 0, "\(run.error)")
        let stack = try ImageFile.read(scratch.file("stack.xisf")), drizzled = try ImageFile.read(scratch.file("stack_drizzle2x.xisf"))
        let coverage = try ImageFile.read(scratch.file("stack_drizzle2x_coverage.xisf"))
        #expect(drizzled.width == 2 * stack.width && drizzled.height == 2 * stack.height && coverage.width == drizzled.width)
        #expect(abs(drizzled[128, 128] / stack[64, 64] - 1) < 0.2, "the same sky: \(drizzled[128, 128]) vs \(stack[64, 64])")
        let missing = try CLIRun.run(["integrate"] + outputs + ["-o", "b.xisf", "--drizzle", "2"], in: scratch.path)
        #expect(missing.status != 0 && missing.error.contains("--registration"))
        try FileManager.default.copyItem(atPath: scratch.file(outputs[0]), toPath: scratch.file("stranger.xisf"))
        let stranger = try CLIRun.run(["integrate"] + outputs.dropFirst() + ["stranger.xisf", "-o", "c.xisf", "--drizzle", "2", "--registration", "reg.json"], in: scratch.path)
        #expect(stranger.status != 0 && stranger.error.contains("stranger.xisf"), "\(stranger.error)")
    }
}
