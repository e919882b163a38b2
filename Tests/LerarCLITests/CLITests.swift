import Foundation
import LerarCore
import LerarIO
import LerarSimulator
import Testing

/// Runs the built `lerar` executable (next to the test bundle) through a shell.
struct CLIRun {
    let status: Int32
    let output: String
    let error: String

    static var executable: String {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [folder, folder.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("lerar").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return folder.appendingPathComponent("lerar").path
    }

    /// Runs `lerar ARGS` in `folder`; `prefix` is shell text placed before the command (e.g. `ulimit -f 8;`).
    static func run(_ arguments: [String], in folder: String, prefix: String = "") throws -> CLIRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        let quoted = ([executable] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        process.arguments = ["-c", prefix + " exec " + quoted]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile(), errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIRun(status: process.terminationStatus, output: String(decoding: outData, as: UTF8.self), error: String(decoding: errData, as: UTF8.self))
    }
}

final class Scratch {
    let path = NSTemporaryDirectory() + "lerar-cli-" + UUID().uuidString
    init() { try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    var contents: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
}

@Suite struct CLITests {
    @Test func helpListsTheCommands() throws {
        let scratch = Scratch()
        let run = try CLIRun.run(["--help"], in: scratch.path)
        #expect(run.status == 0)
        for command in ["info", "convert", "test-pattern"] { #expect(run.output.contains(command)) }
        let convert = try CLIRun.run(["convert", "--help"], in: scratch.path)
        #expect(convert.output.contains("--compression") && convert.output.contains("--overwrite"))
    }

    @Test func infoReportsGeometryKeywordsAndStatistics() throws {
        let scratch = Scratch()
        #expect(try CLIRun.run(["test-pattern", "a.fits", "--size", "128"], in: scratch.path).status == 0)
        #expect(try CLIRun.run(["convert", "a.fits", "a.xisf", "--compression", "lz4hc+sh", "--checksum", "sha256"], in: scratch.path).status == 0)
        let text = try CLIRun.run(["info", "a.fits", "a.xisf"], in: scratch.path)
        #expect(text.status == 0)
        #expect(text.output.contains("FITS 128×128×1 Gray UInt16, uncompressed"))
        #expect(text.output.contains("XISF 128×128×1 Gray UInt16, lz4hc+sh, checksum sha-256"))
        #expect(text.output.contains("IMAGETYP LIGHT  EXPTIME 300 s  FILTER L  binning 1×1"))

        let json = try CLIRun.run(["info", "--json", "a.fits", "a.xisf"], in: scratch.path)
        #expect(json.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(document["schema"] as? String == "lerar.info" && document["schemaVersion"] as? Int == 1)
        let files = try #require(document["files"] as? [[String: Any]])
        #expect(files.count == 2)
        let first = files[0]
        #expect(first["width"] as? Int == 128 && first["sampleFormat"] as? String == "UInt16")
        let acquisition = try #require(first["acquisition"] as? [String: Any])
        #expect(acquisition["exposure"] as? Double == 300 && acquisition["gain"] as? Double == 100 && acquisition["temperature"] as? Double == -10)
        let statistics = try #require(first["statistics"] as? [[String: Any]])
        let image = try ImageFile.read(scratch.file("a.fits"))
        #expect(statistics[0]["median"] as? Double == image.statistics()[0].median)
        #expect(files[1]["compression"] as? String == "lz4hc+sh")
        #expect((files[0]["statistics"] as? [[String: Any]])?[0]["median"] as? Double == (files[1]["statistics"] as? [[String: Any]])?[0]["median"] as? Double)
    }

    @Test func infoGoesOnPastABadFileAndFails() throws {
        let scratch = Scratch()
        _ = try CLIRun.run(["test-pattern", "good.xisf", "--size", "64"], in: scratch.path)
        _ = FileManager.default.createFile(atPath: scratch.file("bad.fits"), contents: Data(repeating: 1, count: 100))
        let run = try CLIRun.run(["info", "bad.fits", "good.xisf"], in: scratch.path)
        #expect(run.status != 0)
        #expect(run.error.contains("bad.fits") && run.error.contains("truncated"))
        #expect(run.output.contains("good.xisf"))
    }

    @Test func convertAddsHistoryKeepsInputAndRefusesToOverwrite() throws {
        let scratch = Scratch()
        _ = try CLIRun.run(["test-pattern", "in.fits", "--size", "64"], in: scratch.path)
        let before = try Data(contentsOf: URL(fileURLWithPath: scratch.file("in.fits")))
        #expect(try CLIRun.run(["convert", "in.fits", "out.xisf", "--sample-format", "float32"], in: scratch.path).status == 0)
        let converted = try ImageFile.read(scratch.file("out.xisf"))
        #expect(converted.sourceSampleFormat == .float32)
        #expect(converted.metadata.keywords.last?.comment.contains("convert: from in.fits to XISF Float32") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file("in.fits"))) == before)

        let again = try CLIRun.run(["convert", "in.fits", "out.xisf"], in: scratch.path)
        #expect(again.status != 0 && again.error.contains("output exists"))
        #expect(try CLIRun.run(["convert", "in.fits", "out.xisf", "--overwrite"], in: scratch.path).status == 0)
        let same = try CLIRun.run(["convert", "in.fits", "in.fits", "--overwrite"], in: scratch.path)
        #expect(same.status != 0 && same.error.contains("inputs are never modified"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file("in.fits"))) == before)
        let badCodec = try CLIRun.run(["convert", "in.fits", "x.xisf", "--compression", "brotli"], in: scratch.path)
        #expect(badCodec.status != 0 && badCodec.error.contains("unknown XISF codec"))
    }

    @Test func fullDiskFailsCleanly() throws {
        // `ulimit -f` caps file size in the child only: writes fail with EFBIG the way they do on a full disk.
        let scratch = Scratch()
        _ = try CLIRun.run(["test-pattern", "in.xisf", "--size", "256"], in: scratch.path)
        for output in ["out.xisf", "out.fits"] {
            let run = try CLIRun.run(["convert", "in.xisf", output, "--sample-format", "float32"], in: scratch.path, prefix: "trap '' XFSZ; ulimit -f 64;")
            #expect(run.status != 0)
            #expect(run.error.contains(output) && run.error.contains("cannot write") || run.error.contains("FITS error"), "\(run.error)")
        }
        #expect(scratch.contents == ["in.xisf"], "left behind: \(scratch.contents)")
    }
}

@Suite struct SimulateAndVerifyCLITests {
    @Test func simulateWritesASessionAndVerifyScoresIt() throws {
        let scratch = Scratch()
        let run = try CLIRun.run(["simulate", "--out", "night", "--size", "256", "256", "--lights", "3", "--filters", "L,Ha", "--seed", "4", "--format", "xisf"], in: scratch.path)
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("lights/Ha/  3 frames") && run.output.contains("flats/L/"))
        #expect(run.error.contains("simulating frames"), "progress goes to stderr")
        let again = try CLIRun.run(["simulate", "--out", "night", "--size", "256", "256", "--lights", "3"], in: scratch.path)
        #expect(again.status != 0 && again.error.contains("output exists"))
        let light = "night/lights/L/M31_LIGHT_L_300.00s_-10.0C_0001.xisf"
        let verify = try CLIRun.run(["verify", light, "--truth", "night/truth", "--json"], in: scratch.path)
        #expect(verify.status == 0, "\(verify.error)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(verify.output.utf8)) as? [String: Any])
        #expect(report["schema"] as? String == "lerar.verify" && report["filter"] as? String == "L")
        #expect((report["starRMS"] as? Double).map { $0 < 0.1 } == true)
        #expect((report["matchedStars"] as? Int).map { $0 > 10 } == true)
        let text = try CLIRun.run(["verify", light, "--truth", "night/truth"], in: scratch.path)
        #expect(text.output.contains("star position RMS") && text.output.contains("background flatness"))
        let missing = try CLIRun.run(["verify", light, "--truth", "nowhere"], in: scratch.path)
        #expect(missing.status != 0 && missing.error.contains("session.json"))
        let bad = try CLIRun.run(["simulate", "--out", "x", "--size", "10"], in: scratch.path)
        #expect(bad.status != 0 && bad.error.contains("--size"))
    }
}

@Suite struct LinkCLITests {
    @Test func linkExitCodesTreeJSONAndHTML() throws {
        let scratch = Scratch()
        #expect(try CLIRun.run(["simulate", "--out", "night", "--size", "64", "64", "--lights", "2", "--filters", "L,R"], in: scratch.path).status == 0)
        let complete = try CLIRun.run(["link", "night", "--html", "links.html"], in: scratch.path)
        #expect(complete.status == 0, "\(complete.error)")
        #expect(complete.output.contains("2 of 2 light groups fully linked") && complete.output.contains("✓ dark"))
        #expect(!complete.output.contains("\u{1B}["), "no colour codes when not a terminal")
        #expect(FileManager.default.fileExists(atPath: scratch.file("links.html")))

        try FileManager.default.removeItem(atPath: scratch.file("night/flats/R"))
        let broken = try CLIRun.run(["link", "night"], in: scratch.path)
        #expect(broken.status == 2)
        #expect(broken.output.contains("✗ flat      no flat for filter R") && broken.output.contains("nearest candidate: flat · L"))
        #expect(broken.error.contains("--allow-missing"))
        #expect(try CLIRun.run(["link", "night", "--allow-missing"], in: scratch.path).status == 0)

        let json = try CLIRun.run(["link", "night", "--json", "--allow-missing"], in: scratch.path)
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(plan["schema"] as? String == "lerar.link" && plan["schemaVersion"] as? Int == 1 && plan["fullyLinked"] as? Bool == false)
        #expect((plan["lights"] as? [[String: Any]])?.count == 2 && (plan["groups"] as? [[String: Any]]).map { $0.count >= 7 } == true)

        let missing = try CLIRun.run(["link", "nowhere"], in: scratch.path)
        #expect(missing.status == 1 && missing.error.contains("nowhere: no such file or folder"))
        let wbpp = try CLIRun.run(["link", "night", "--wbpp-compatible", "--group-by", "OBJECT", "--temp-tolerance", "1", "--allow-missing"], in: scratch.path)
        #expect(wbpp.status == 0 && wbpp.output.contains("OBJECT-M31"))
    }
}

@Suite struct CalibrationCLITests {
    @Test func mastersCalibrateAndIntegrateFromTheCommandLine() throws {
        let scratch = Scratch()
        #expect(try CLIRun.run(["simulate", "--out", "night", "--size", "128", "128", "--lights", "4"], in: scratch.path).status == 0)
        let masters = try CLIRun.run(["masters", "night", "-o", "masters"], in: scratch.path)
        #expect(masters.status == 0, "\(masters.error)")
        #expect(masters.output.contains("masterDark_BIN-1_GAIN-100_EXPTIME-300s.xisf") && masters.output.contains("masterFlat_BIN-1_GAIN-100_EXPTIME-1s_FILTER-L.xisf"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch.file("masters/masters.json")))) as? [String: Any])
        #expect(manifest.count == 5) // bias, darks of 300 s and 600 s, dark-flat, flat

        // A truncated flat among good ones: the masters of the rest are built, the file is named, exit status 2.
        let flats = try FileManager.default.contentsOfDirectory(atPath: scratch.file("night/flats/L")).filter { $0.hasSuffix(".fits") }.sorted()
        try FileManager.default.createDirectory(atPath: scratch.file("damaged/flats/L"), withIntermediateDirectories: true)
        for name in flats { try FileManager.default.copyItem(atPath: scratch.file("night/flats/L/" + name), toPath: scratch.file("damaged/flats/L/" + name)) }
        for kind in ["bias", "darkflats"] { try FileManager.default.createSymbolicLink(atPath: scratch.file("damaged/" + kind), withDestinationPath: scratch.file("night/" + kind)) }
        let cut = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch.file("damaged/flats/L/" + flats[2])))
        try cut.truncate(atOffset: 5000)
        try cut.close()
        let damaged = try CLIRun.run(["masters", "damaged", "-o", "masters-damaged"], in: scratch.path)
        #expect(damaged.status == 2 && damaged.error.contains("skipped") && damaged.error.contains(flats[2]) && damaged.error.contains("exit status 2"), "\(damaged.error)")
        #expect(damaged.output.contains("masterFlat_BIN-1_GAIN-100_EXPTIME-1s_FILTER-L.xisf  (\(flats.count - 1) frames"), "\(damaged.output)")
        
        let link = try CLIRun.run(["link", "night", "--json"], in: scratch.path)
        try Data(link.output.utf8).write(to: URL(fileURLWithPath: scratch.file("plan.json")))
        let fromPlan = try CLIRun.run(["masters", "--link", "plan.json", "-o", "masters2"], in: scratch.path)
        #expect(fromPlan.status == 0 && FileManager.default.fileExists(atPath: scratch.file("masters2/masterBias_BIN-1_GAIN-100.xisf")), "\(fromPlan.error)")
        let calibrate = try CLIRun.run(["calibrate", "--link", "plan.json", "-o", "out", "--pedestal", "100", "--cosmetic"], in: scratch.path)
        #expect(calibrate.status == 0, "\(calibrate.error)")
        let outputs = try FileManager.default.contentsOfDirectory(atPath: scratch.file("out/calibrated")).sorted()
        #expect(outputs == (1...4).map { String(format: "M31_LIGHT_L_300.00s_-10.0C_%04d_c_cc.xisf", $0) })
        let calibrated = try ImageFile.read(scratch.file("out/calibrated/" + outputs[0]))
        #expect(calibrated.metadata.keyword("PEDESTAL")?.doubleValue == 100 && calibrated.sourceSampleFormat == .float32)
        #expect(calibrated.metadata.keywords.contains { $0.name == "HISTORY" && $0.comment.contains("calibrate: dark=masterDark") })

        let integrate = try CLIRun.run(["integrate"] + outputs.map { "out/calibrated/" + $0 } + ["-o", "stack.xisf", "--rejection", "sigma", "--sigma", "3", "2.5", "--rejection-maps", "--weights", "noise", "--json"], in: scratch.path)
        #expect(integrate.status == 0, "\(integrate.error)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(integrate.output.utf8)) as? [String: Any])
        #expect(summary["rejection"] as? String == "sigma" && (summary["frames"] as? [[String: Any]])?.count == 4)
        for file in ["stack.xisf", "stack_rejection_low.xisf", "stack_rejection_high.xisf"] { #expect(FileManager.default.fileExists(atPath: scratch.file(file)), "\(file)") }
        let stack = try ImageFile.read(scratch.file("stack.xisf"))
        #expect(stack.metadata.keyword("NCOMBINE")?.intValue == 4)
        #expect(stack.metadata.keywords.contains { $0.name == "HISTORY" && $0.comment.contains("rejection=sigma sigma=3.0/2.5") })
        #expect(stack.metadata.keyword("PEDESTAL") == nil, "integration removes the pedestal")

        // Explicit masters; a broken plan skips its lights and says why.
        let light = "night/lights/L/M31_LIGHT_L_300.00s_-10.0C_0001.fits"
        let explicit = try CLIRun.run(["calibrate", light, "--dark", "masters/masterDark_BIN-1_GAIN-100_EXPTIME-300s.xisf", "--flat",
                                       "masters/masterFlat_BIN-1_GAIN-100_EXPTIME-1s_FILTER-L.xisf", "-o", "single", "--format", "fits"], in: scratch.path)
        #expect(explicit.status == 0 && FileManager.default.fileExists(atPath: scratch.file("single/M31_LIGHT_L_300.00s_-10.0C_0001_c.fits")))
        try FileManager.default.removeItem(atPath: scratch.file("night/flats"))
        let brokenLink = try CLIRun.run(["link", "night", "--json", "--allow-missing"], in: scratch.path)
        try Data(brokenLink.output.utf8).write(to: URL(fileURLWithPath: scratch.file("broken.json")))
        let broken = try CLIRun.run(["calibrate", "--link", "broken.json", "-o", "out2"], in: scratch.path)
        #expect(broken.status == 2 && broken.error.contains("not calibrated: missing flat"))
        let bad = try CLIRun.run(["integrate", "nothing.fits", "-o", "x.xisf"], in: scratch.path)
        #expect(bad.status == 1 && bad.error.contains("nothing.fits"))
    }

    /// The single-stage commands take as many whole frames at once as `--memory-budget` holds (about three frame
    /// images each, never fewer than two), not one per core: 1024² Float32 frames need 12 MiB each.
    @Test func singleStageCommandsBoundFramesInFlightByTheMemoryBudget() throws {
        let scratch = Scratch()
        for name in ["a.fits", "b.fits"] { #expect(try CLIRun.run(["test-pattern", name, "--size", "1024"], in: scratch.path).status == 0) }
        for (budget, expected) in [("8", 2), ("64", 5), (nil, 16)] as [(String?, Int)] {
            let run = try CLIRun.run(["measure", "a.fits", "b.fits", "--json"] + (budget.map { ["--memory-budget", $0] } ?? []), in: scratch.path, prefix: "LERAR_CORES=16")
            #expect(run.status == 0, "\(run.error)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
            #expect(document["framesInFlight"] as? Int == expected, "budget \(budget ?? "default"): \(document["framesInFlight"] ?? "none")")
        }
        let tooSmall = try CLIRun.run(["register", "a.fits", "b.fits", "-o", "reg", "--memory-budget", "4"], in: scratch.path)
        #expect(tooSmall.status != 0 && tooSmall.error.contains("at least 8 MB"))
    }

    @Test func lnrefNormalizeLinearfitBackgroundAndLocalIntegration() throws {
        let scratch = Scratch()
        #expect(try CLIRun.run(["simulate", "--out", "night", "--size", "256", "256", "--lights", "4", "--filters", "L", "--seed", "9"], in: scratch.path).status == 0)
        let lights = (1...4).map { "night/lights/L/M31_LIGHT_L_300.00s_-10.0C_000\($0).fits" }
        let register = try CLIRun.run(["register"] + lights + ["-o", "reg", "--reference", lights[0]], in: scratch.path)
        #expect(register.status == 0, "\(register.error)")
        let registered = (1...4).map { "reg/M31_LIGHT_L_300.00s_-10.0C_000\($0)_r.xisf" }
        let lnref = try CLIRun.run(["lnref"] + registered + ["-o", "ref.xisf", "--best", "10", "--flatten", "--degree", "1", "--scale", "128"], in: scratch.path)
        #expect(lnref.status == 0, "\(lnref.error)")
        #expect(lnref.output.contains("only 4 frames") && lnref.output.contains("after flattening") && lnref.output.contains("missing data"))
        let badBest = try CLIRun.run(["lnref"] + registered + ["-o", "ref2.xisf", "--best", "25"], in: scratch.path)
        #expect(badBest.status != 0 && badBest.error.contains("10…20"))
        let normalize = try CLIRun.run(["normalize"] + registered + ["--reference", "ref.xisf", "-o", "norm", "--scale", "128", "--pedestal", "100", "--autocrop", "--json"], in: scratch.path)
        #expect(normalize.status == 0, "\(normalize.error)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(normalize.output.utf8)) as? [String: Any])
        #expect((document["frames"] as? [Any])?.count == 4 && normalize.error.contains("autocrop"))
        let cropped = try ImageFile.read(scratch.file("norm/M31_LIGHT_L_300.00s_-10.0C_0001_r_n.xisf"))
        #expect(cropped.width < 256 && cropped.statistics()[0].count == cropped.pixelCount, "no NaN left after autocrop")
        let stack = try CLIRun.run(["integrate"] + registered + ["-o", "stack.xisf", "--normalization", "local", "--ln-reference", "ref.xisf", "--ln-scale", "128", "--rejection", "none"], in: scratch.path)
        #expect(stack.status == 0, "\(stack.error)")
        let noReference = try CLIRun.run(["integrate"] + registered + ["-o", "stack2.xisf", "--normalization", "local"], in: scratch.path)
        #expect(noReference.status != 0 && noReference.error.contains("--ln-reference"))
        let linear = try CLIRun.run(["linearfit"] + registered + ["--reference", "ref.xisf", "-o", "lin"], in: scratch.path)
        #expect(linear.status == 0 && linear.output.contains("·x"), "\(linear.error)")
        let background = try CLIRun.run(["background", "stack.xisf", "-o", "flat.xisf", "--degree", "2", "--model", "model.xisf"], in: scratch.path)
        #expect(background.status == 0 && background.output.contains("→"), "\(background.error)")
        #expect(FileManager.default.fileExists(atPath: scratch.file("model.xisf")))
        let same = try CLIRun.run(["background", "stack.xisf", "-o", "stack.xisf"], in: scratch.path)
        #expect(same.status != 0)
    }
}
