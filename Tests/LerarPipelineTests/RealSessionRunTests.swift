import Foundation
import LerarCalibration
import LerarCore
import LerarIO
@testable import LerarPipeline
import LerarSimulator
import Testing

/// `lerar run` on sessions as people keep them, and against what goes wrong: several nights, master libraries,
/// lights without calibration frames, corrupt and empty frames, a second run at once, leftovers of a killed run,
/// an edited cache file.
@Suite(.serialized) struct RealSessionRunTests {
    /// Largest deviation, over the dust donuts of `night`, of the master flat from the truth transmission: the median
    /// over each donut's ring of (flat / its median) / (transmission / its median) − 1.
    static func donutResidue(flat path: String, truth: String, night: Int, filter: String) throws -> Double {
        let flat = try ImageFile.read(path)
        let transmission = try ImageFile.read(truth + "/transmission_\(filter)" + (night > 1 ? "_night\(night)" : "") + ".fits")
        let defects = try JSONDecoder().decode(SessionTruth.Defects.self, from: Data(contentsOf: URL(fileURLWithPath: truth + "/defects.json")))
        let donuts = (night > 1 ? defects.laterNightDustDonuts?["\(night)"] ?? [] : defects.dustDonuts).filter { $0.filter.isEmpty || $0.filter == filter }
        func median(_ values: [Float]) -> Double { let sorted = values.filter(\.isFinite).sorted(); return Double(sorted[sorted.count / 2]) }
        let flatLevel = median(flat.samples), truthLevel = median(transmission.samples)
        var worst = 0.0
        for donut in donuts {
            var ratios: [Float] = []
            for y in 0..<flat.height {
                for x in 0..<flat.width {
                    let r = hypot(Double(x) - donut.x, Double(y) - donut.y) / donut.radius
                    guard r > 0.55, r < 0.95, transmission[x, y] > 0 else { continue }
                    ratios.append(Float((Double(flat[x, y]) / flatLevel) / (Double(transmission[x, y]) / truthLevel)))
                }
            }
            worst = max(worst, abs(median(ratios) - 1))
        }
        return worst
    }

    @Test func twoNightsIntegrateIntoOneStackEachWithItsOwnFlats() throws {
        let session = try PipelineSession(name: "nights", lights: 4, nights: 2, seed: 21)
        defer { session.remove() }
        let summary = try session.run()
        #expect(summary.stacks.count == 1 && summary.stacks[0].frames == 8, "\(summary.stacks.map { ($0.name, $0.frames) })")
        let flats = summary.masters.filter { URL(fileURLWithPath: $0.path).lastPathComponent.hasPrefix("masterFlat") }
        #expect(flats.count == 2)
        for night in [1, 2] {
            let flat = try #require(flats.first { $0.path.contains("NIGHT-\(night)") })
            let residue = try Self.donutResidue(flat: flat.path, truth: session.truth, night: night, filter: "L")
            #expect(residue < 0.01, "night \(night)'s master flat misses its own dust by \(residue * 100) %")
            print(String(format: "two nights: night %d master flat vs its truth in the dust rings: %.2f %%", night, residue * 100))
        }
        // One master flat of both nights' flats (what a tool without per-night flats does) misses each night's dust.
        var rules = LinkRules()
        rules.flatsPerNight = false
        let merged = try LinkPlan.make(roots: [session.session], rules: rules)
        let builder = MasterBuilder(plan: merged, outputFolder: session.folder + "/merged")
        let built = try builder.build()
        let mergedFlat = try #require(built.values.first { URL(fileURLWithPath: $0.path).lastPathComponent.hasPrefix("masterFlat") })
        let worst = try [1, 2].map { try Self.donutResidue(flat: mergedFlat.path, truth: session.truth, night: $0, filter: "L") }.max()!
        #expect(worst > 0.015, "a merged flat should leave dust donuts: worst \(worst * 100) %")
        print(String(format: "two nights: one merged master flat vs the nights' truth in the dust rings: %.2f %%", worst * 100))
        let result = try session.verify(try #require(summary.stacks[0].autocropped))
        #expect((result.flatnessPercent ?? 99) < 1.0 && (result.starRMS ?? 9) < 0.1, "flatness \(result.flatnessPercent ?? -1) %, rms \(result.starRMS ?? -1)")
    }

    @Test func aMasterLibraryIsUsedAsItIs() throws {
        let session = try PipelineSession(name: "library", lights: 5)
        defer { session.remove() }
        let plan = try LinkPlan.make(roots: [session.session], rules: LinkRules())
        _ = try MasterBuilder(plan: plan, outputFolder: session.folder + "/library").build()
        try session.remove(["darks", "bias", "flats", "darkflats"])
        let summary = try session.run(roots: [session.session, session.folder + "/library"])
        #expect(summary.stacks.count == 1 && summary.stacks[0].master != nil)
        #expect(summary.masters.allSatisfy { $0.rejection == "existing master" && $0.path.contains("/library/") })
        #expect(summary.masters.count == 2, "the dark and the flat (the dark holds the bias): \(summary.masters.map(\.path))")
    }

    @Test func lightsWithoutCalibrationFramesRunOnlyOnPurpose() throws {
        let session = try PipelineSession(name: "lightsonly", lights: 5)
        defer { session.remove() }
        try session.remove(["darks", "bias", "flats", "darkflats"])
        #expect(throws: PipelineError.self) { try session.run() }
        var configuration = PipelineSession.configuration()
        configuration.calibration.required = false
        let summary = try session.run(configuration)
        #expect(summary.stacks.count == 1 && summary.stacks[0].frames == 5)
        #expect(summary.warnings.contains { $0.contains("no dark") && $0.contains("no flat") && $0.contains("calibration.required is false") })
    }

    @Test func lightsCalibratedElsewhereAreNotCalibratedAgain() throws {
        let first = try PipelineSession(name: "precalibrated", lights: 5)
        defer { first.remove() }
        _ = try first.run(PipelineSession.configuration(keepIntermediates: true))
        // Take the calibrated frames as a new session, as MaxIm would leave them: +100 ADU pedestal, CALSTAT 'BDF'.
        let folder = first.folder + "/maxim/lights"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let calibrated = try FileManager.default.subpathsOfDirectory(atPath: first.output + "/calibrated").filter { $0.hasSuffix(".xisf") }.sorted()
        #expect(calibrated.count == 5)
        var levels: [Double] = []
        for (index, name) in calibrated.enumerated() {
            var image = try ImageFile.read(first.output + "/calibrated/" + name)
            levels.append(image.statistics()[0].median * 65535)
            image.withMutableSamples { samples in for i in 0..<samples.count { samples[i] += Float(100.0 / 65535) } }
            image.metadata.keywords.removeAll { $0.name == "HISTORY" }
            image.metadata.setKeyword(.string("CALSTAT", "BDF"))
            image.metadata.setKeyword(.number("PEDESTAL", -100, comment: "Correction to add for zero-based ADU"))
            try ImageFile.write(image, to: folder + "/light_\(index).fits", options: ImageWriteOptions(sampleFormat: .float32))
        }
        let output = first.folder + "/maxim-out"
        let summary = try first.run(PipelineSession.configuration(keepIntermediates: true), roots: [first.folder + "/maxim"], output: output)
        #expect(summary.stacks.count == 1 && summary.stacks[0].frames == 5 && summary.masters.isEmpty)
        // The MaxIm pedestal came out: the frames are at their calibrated level again.
        let again = try FileManager.default.subpathsOfDirectory(atPath: output + "/calibrated").filter { $0.hasSuffix(".xisf") }.sorted()
        let level = try ImageFile.read(output + "/calibrated/" + again[0]).statistics()[0].median * 65535
        #expect(abs(level - levels[0]) < 1, "level \(level) ADU, was \(levels[0]) ADU before the pedestal")
    }

    @Test func badFramesAreSkippedOrRejectedWithTheReasonAndTheRunCompletes() throws {
        let session = try PipelineSession(name: "badframes", lights: 6)
        defer { session.remove() }
        let lights = session.lights
        // A truncated file, a frame of NaN, and a .fz whose tile size would divide by zero in cfitsio.
        let truncated = lights[1]
        let bytes = try Data(contentsOf: URL(fileURLWithPath: truncated))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        var empty = try ImageFile.read(lights[2])
        empty.withMutableSamples { samples in for i in 0..<samples.count { samples[i] = .nan } }
        try FileManager.default.removeItem(atPath: lights[2])
        try ImageFile.write(empty, to: lights[2], options: ImageWriteOptions(sampleFormat: .float32))
        let fz = (lights[3] as NSString).deletingPathExtension + "_copy.fz"
        try ImageFile.write(try ImageFile.read(lights[3]), to: fz, options: ImageWriteOptions(sampleFormat: .uint16))
        var fzBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fz)))
        let card = try #require(stride(from: 0, to: fzBytes.count - 80, by: 80).first { String(decoding: fzBytes[$0..<($0 + 8)], as: UTF8.self) == "ZTILE1  " })
        fzBytes.replaceSubrange((card + 10)..<(card + 30), with: Array("                   0".utf8))
        try Data(fzBytes).write(to: URL(fileURLWithPath: fz))

        let summary = try session.run()
        #expect(summary.skipped.contains { $0.path == truncated && $0.reason.contains("truncated") && $0.unreadable })
        #expect(summary.skipped.contains { $0.path == fz && $0.reason.contains("ZTILE1") })
        let nan = try #require(summary.frames.first { $0.path == lights[2] })
        #expect(!nan.accepted && nan.rejection == "no data: every pixel is NaN, infinite or 0")
        #expect(summary.stacks.count == 1 && summary.stacks[0].frames == 4)
    }

    @Test func aSecondRunIntoTheSameFolderIsRefused() throws {
        let session = try PipelineSession(name: "lock", lights: 3)
        defer { session.remove() }
        let holder = try OutputFolder(path: session.output, command: "lerar run elsewhere")
        do {
            _ = try session.run()
            Issue.record("the second run was not refused")
        } catch let PipelineError.outputLocked(path, holder) {
            #expect(path.hasSuffix("/out") && holder.contains("pid \(getpid())") && holder.contains("lerar run elsewhere"))
        }
        withExtendedLifetime(holder) {}
        // Logs of runs started in the same second never share a file.
        let folder = session.folder + "/logs"
        let a = try PipelineRunner.uniqueFile(in: folder, stem: "run-x", extension: "log")
        let b = try PipelineRunner.uniqueFile(in: folder, stem: "run-x", extension: "log")
        #expect(a != b && b.hasSuffix("run-x-2.log"))
    }

    @Test func leftoversOfAKilledRunAreRemovedAndAnEditedCacheFileIsRecomputed() throws {
        let session = try PipelineSession(name: "leftovers", lights: 4)
        defer { session.remove() }
        let fm = FileManager.default
        let leftovers = [session.output + "/master/.lerar-tmp-1234/frame_00000.xisf", session.output + "/master/.calibrated-flats-5678/flat_00000.xisf",
                         session.output + "/calibrated/.frame_c.xisf.99-123.tmp"]
        for file in leftovers {
            try fm.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = fm.createFile(atPath: file, contents: Data("partial".utf8))
        }
        var configuration = PipelineSession.configuration(keepIntermediates: true)
        let first = try session.run(configuration)
        #expect(!fm.fileExists(atPath: session.output + "/master/.lerar-tmp-1234") && !fm.fileExists(atPath: session.output + "/master/.calibrated-flats-5678"))
        #expect(!fm.fileExists(atPath: leftovers[2]))
        #expect(try String(contentsOfFile: try #require(first.log), encoding: .utf8).contains("removed master/.lerar-tmp-1234"))

        // Edit a normalized frame (an input of the integration) without changing its size or time, then change an
        // integration setting: the edited frame must be normalized again, not integrated as it is.
        let normalized = try fm.subpathsOfDirectory(atPath: session.output + "/normalized").filter { $0.hasSuffix(".xisf") }.sorted()
        let edited = session.output + "/normalized/" + normalized[0]
        var before = stat()
        stat(edited, &before)
        let original = try Data(contentsOf: URL(fileURLWithPath: edited)), pixels = try ImageFile.read(edited).samples
        var bytes = [UInt8](original)
        for offset in stride(from: bytes.count - 4000, to: bytes.count - 3000, by: 4) { bytes[offset + 3] ^= 0x40 }
        try Data(bytes).write(to: URL(fileURLWithPath: edited))
        // The modification time restored to the nanosecond: only the contents tell the file changed.
        var times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, edited, &times, 0) == 0)
        var after = stat()
        stat(edited, &after)
        #expect(after.st_size == before.st_size && after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
        configuration.integration.rejection = .sigma
        let second = try session.run(configuration)
        #expect(second.stages.first { $0.stage == "normalize" }?.computed == 1, "\(second.stages)")
        #expect(try ImageFile.read(edited).samples.map(\.bitPattern) == pixels.map(\.bitPattern), "the edited frame was normalized again")
    }

    @Test func anOutputFolderReachedThroughALinkIntoTheSessionIsRefused() throws {
        let session = try PipelineSession(name: "outputlink", lights: 3)
        defer { session.remove() }
        let link = session.folder + "/outlink"
        try FileManager.default.createDirectory(atPath: session.session + "/results", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: session.session + "/results")
        #expect(throws: PipelineError.self) { try session.run(output: link + "/run1") }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: session.session + "/results"))?.isEmpty == true)
    }
}
