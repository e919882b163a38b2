import Foundation
import LerarCore
import LerarIO
import Testing

/// The bad-session corpus: sessions and files as they go wrong in real life, each run through the `lerar` command a
/// user would type. For every case: the exit status, a message naming the file and the cause, and every input file
/// byte for byte unchanged (sha256 before and after).
@Suite struct BadSessionCorpusTests {
    struct Case: Sendable {
        let name: String
        /// Damages the session (a copy) in `folder`; returns nothing.
        let prepare: @Sendable (String) throws -> Void
        let arguments: [String]
        var prefix = ""
        let status: Int32
        /// Texts the output (stdout + stderr) must contain.
        let mentions: [String]
    }

    /// sha256 of every input file (not the outputs), by GNU sha256sum.
    static func sha256OfInputs(_ folder: String) throws -> [String: String] {
        let listing = try CLIShell.run("find . -path ./out -prune -o -type f -print0 | sort -z | xargs -0 sha256sum", in: folder)
        var digests: [String: String] = [:]
        for line in listing.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { digests[String(parts[1]).trimmingCharacters(in: .whitespaces)] = String(parts[0]) }
        }
        return digests
    }

    static func firstFile(_ folder: String, under sub: String) -> String {
        let walker = FileManager.default.enumerator(atPath: folder + "/" + sub)!
        let name = walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".fits") }.sorted()[0]
        return folder + "/" + sub + "/" + name
    }

    /// A monolithic XISF file around a header, with no data.
    static func xisf(_ xml: String) -> Data {
        var bytes = Array("XISF0100".utf8)
        withUnsafeBytes(of: UInt32(xml.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        return Data(bytes + [0, 0, 0, 0] + Array(xml.utf8))
    }

    static func replaceCard(_ path: String, key: String, value: String) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let name = Array(key.padding(toLength: 8, withPad: " ", startingAt: 0).utf8)
        let card = stride(from: 0, to: bytes.count - 80, by: 80).first { Array(bytes[$0..<($0 + 8)]) == name }!
        bytes.replaceSubrange((card + 10)..<(card + 30), with: Array(value.leftPadded(to: 20).utf8))
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static let cases: [Case] = [
        Case(name: "truncated light among good ones", prepare: { folder in
            let light = firstFile(folder, under: "session/lights/L")
            let data = try Data(contentsOf: URL(fileURLWithPath: light))
            try data.prefix(5000).write(to: URL(fileURLWithPath: light))
        }, arguments: ["run", "session", "-o", "out"], status: 2, mentions: ["skipped 1 file", "L_300.00s_-10.0C_0001.fits: file is truncated: HDU 1 needs",
                                                                 "1 input file could not be read", "exit status 2"]),
        Case(name: "all-NaN light", prepare: { folder in
            let light = firstFile(folder, under: "session/lights/R")
            var image = try ImageFile.read(light)
            image.withMutableSamples { for i in 0..<$0.count { $0[i] = .nan } }
            try ImageFile.write(image, to: light, options: ImageWriteOptions(sampleFormat: .float32, overwrite: true))
        }, arguments: ["run", "session", "-o", "out"], status: 0, mentions: ["rejected", "R_300.00s_-10.0C_0001.fits: no data: every pixel is NaN"]),
        Case(name: "flats of a filter missing", prepare: { try FileManager.default.removeItem(atPath: $0 + "/session/flats/R") },
             arguments: ["run", "session", "-o", "out"], status: 1, mentions: ["nothing was processed", "✗ flat", "no flat for filter R"]),
        Case(name: "lights only, calibration required", prepare: { folder in
            for name in ["darks", "bias", "flats", "darkflats"] { try FileManager.default.removeItem(atPath: folder + "/session/" + name) }
        }, arguments: ["link", "session"], status: 2, mentions: ["no dark frames", "no flat frames", "fix the links or pass --allow-missing"]),
        Case(name: "flats written as signed 16-bit without BZERO 32768", prepare: { folder in
            // Read as signed, flats at ~24,000 ADU come out near −8,800: a negative master flat, over its negative mean
            // positive again with the vignetting turned over, would calibrate every L light wrongly and silently.
            let walker = FileManager.default.enumerator(atPath: folder + "/session/flats/L")!
            for case let name as String in walker where name.hasSuffix(".fits") { try replaceCard(folder + "/session/flats/L/" + name, key: "BZERO", value: "0") }
        }, arguments: ["run", "session", "-o", "out"], status: 1, mentions: ["masterFlat_", "FILTER-L", "must be positive", "without BZERO 32768"]),
        Case(name: "darks at another gain", prepare: { folder in
            let walker = FileManager.default.enumerator(atPath: folder + "/session/darks")!
            for case let name as String in walker where name.hasSuffix(".fits") { try replaceCard(folder + "/session/darks/" + name, key: "GAIN", value: "139") }
        }, arguments: ["link", "session"], status: 2, mentions: ["no dark fits this light", "gain 139, light is gain 100"]),
        Case(name: "output inside the session", prepare: { _ in }, arguments: ["run", "session", "-o", "session/out"], status: 1,
             mentions: ["session/out is inside an input folder"]),
        Case(name: "the session inside the output folder", prepare: { _ in }, arguments: ["run", "session", "-o", "."], status: 1,
             mentions: ["session is inside the output folder"]),
        Case(name: "output reached through a link into the session", prepare: { folder in
            try FileManager.default.createSymbolicLink(atPath: folder + "/results", withDestinationPath: folder + "/session/lights")
        }, arguments: ["run", "session", "-o", "results/run"], status: 1, mentions: ["is inside an input folder"]),
        Case(name: "output folder held by another run", prepare: { folder in
            try FileManager.default.createDirectory(atPath: folder + "/out", withIntermediateDirectories: true)
        }, arguments: ["run", "session", "-o", "out"], prefix: "flock out/.lerar.lock sleep 5 >/dev/null 2>&1 & sleep 0.5;", status: 1,
             mentions: ["out is in use by another lerar run"]),
        Case(name: "output under a file", prepare: { folder in
            _ = FileManager.default.createFile(atPath: folder + "/notafolder", contents: Data("x".utf8))
        }, arguments: ["run", "session", "-o", "notafolder/out"], status: 1, mentions: ["notafolder/out", "Not a directory"]),
        Case(name: "tile size 0 in a .fz", prepare: { folder in
            _ = try ImageFile.write(try ImageFile.read(firstFile(folder, under: "session/lights/L")), to: folder + "/bad.fz",
                                    options: ImageWriteOptions(sampleFormat: .uint16))
            try replaceCard(folder + "/bad.fz", key: "ZTILE1", value: "0")
        }, arguments: ["info", "bad.fz"], status: 1, mentions: ["bad.fz: invalid file", "ZTILE1"]),
        Case(name: "XISF nested 50,000 deep", prepare: { folder in
            let nested = String(repeating: "<a>", count: 50_000) + String(repeating: "</a>", count: 50_000)
            _ = FileManager.default.createFile(atPath: folder + "/deep.xisf", contents: xisf("<?xml version=\"1.0\"?><xisf version=\"1.0\">\(nested)</xisf>"))
        }, arguments: ["info", "deep.xisf"], status: 1, mentions: ["deep.xisf: invalid file", "nest deeper than 256"]),
        Case(name: "XISF with an external entity", prepare: { folder in
            let xml = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xisf version=\"1.0\">&e;</xisf>"
            _ = FileManager.default.createFile(atPath: folder + "/xxe.xisf", contents: xisf(xml))
        }, arguments: ["info", "xxe.xisf"], status: 1, mentions: ["xxe.xisf: invalid file", "DOCTYPE"]),
        Case(name: "header lying about its size", prepare: { folder in
            let light = firstFile(folder, under: "session/lights/L")
            try FileManager.default.copyItem(atPath: light, toPath: folder + "/huge.fits")
            try replaceCard(folder + "/huge.fits", key: "NAXIS1", value: "2000000")
        }, arguments: ["info", "huge.fits"], status: 1, mentions: ["huge.fits", "truncated"]),
        Case(name: "int32 samples a float cannot hold", prepare: { folder in
            // 32-bit integers written byte by byte: 1,000,000,001 ADU needs 30 bits of mantissa.
            var header = ["SIMPLE  =                    T", "BITPIX  =                   32", "NAXIS   =                    2",
                          "NAXIS1  =                    2", "NAXIS2  =                    1", "END"].map { $0.padding(toLength: 80, withPad: " ", startingAt: 0) }.joined()
            header += String(repeating: " ", count: 2880 - header.count)
            var bytes = Array(header.utf8) + [0, 0, 0, 7] + [0x3B, 0x9A, 0xCA, 0x01]
            bytes += [UInt8](repeating: 0, count: 2880 - 8)
            _ = FileManager.default.createFile(atPath: folder + "/wide.fits", contents: Data(bytes))
        }, arguments: ["convert", "wide.fits", "copy.fits"], status: 1, mentions: ["wide.fits", "cannot be held exactly", "nothing was written"]),
        Case(name: "a typo in the configuration", prepare: { folder in
            try "integration:\n  rejecton: sigma\n".write(toFile: folder + "/run.yaml", atomically: true, encoding: .utf8)
        }, arguments: ["run", "session", "-o", "out", "--config", "run.yaml"], status: 1, mentions: ["run.yaml", "unknown key 'integration.rejecton'"]),
        Case(name: "a folder linking back to its parent", prepare: { folder in
            try FileManager.default.createSymbolicLink(atPath: folder + "/session/lights/again", withDestinationPath: folder + "/session")
        }, arguments: ["link", "session"], status: 0, mentions: ["lights/again: a link to a folder already scanned"]),
        Case(name: "an empty file among the darks", prepare: { folder in
            _ = FileManager.default.createFile(atPath: folder + "/session/darks/empty.fits", contents: Data())
        }, arguments: ["link", "session"], status: 0, mentions: ["darks/empty.fits: file is truncated"]),
    ]

    @Test func everyBadSessionEndsWithTheRightStatusANamedCauseAndUntouchedInputs() throws {
        let base = Scratch()
        let simulated = try CLIRun.run(["simulate", "--out", "session", "--size", "192", "192", "--lights", "4", "--filters", "L,R"], in: base.path)
        try #require(simulated.status == 0, "\(simulated.error)")
        try FileManager.default.removeItem(atPath: base.file("session/truth"))
        for testCase in Self.cases {
            let scratch = Scratch()
            try FileManager.default.copyItem(atPath: base.file("session"), toPath: scratch.file("session"))
            try testCase.prepare(scratch.path)
            let before = try Self.sha256OfInputs(scratch.path)
            let run = try CLIRun.run(testCase.arguments, in: scratch.path, prefix: testCase.prefix)
            let text = run.output + run.error
            #expect(run.status == testCase.status, "\(testCase.name): exit \(run.status), wanted \(testCase.status)\n\(text.suffix(1500))")
            for mention in testCase.mentions {
                #expect(text.contains(mention), "\(testCase.name): no '\(mention)' in\n\(text.suffix(1500))")
            }
            #expect(!text.contains("Fatal error") && !text.contains("NSCocoaErrorDomain") && !text.contains("EncodingError"), "\(testCase.name): \(text.suffix(800))")
            let after = try Self.sha256OfInputs(scratch.path)
            #expect(after.filter { before[$0.key] != nil } == before, "\(testCase.name): an input changed")
        }
    }
}

/// A shell command's standard output.
enum CLIShell {
    static func run(_ command: String, in folder: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

extension String {
    func leftPadded(to length: Int) -> String { String(repeating: " ", count: max(0, length - count)) + self }
}
