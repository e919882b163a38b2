import Foundation
import LerarCore
import LerarIO
import LerarPipeline
import LerarSimulator
import Testing

/// `lerar run` end to end on simulated sessions, scored against the simulator's truth.
@Suite(.serialized) struct PipelineRunTests {
    /// Mono LRGB: four stacks on one grid, each within the registration, flatness and trail thresholds; a repeated
    /// run computes nothing.
    @Test func monoLRGBSessionStacksEveryFilterOnOneGrid() throws {
        let session = try PipelineSession(name: "lrgb", filters: ["L", "R", "G", "B"], lights: 6, cloudy: true, starless: true)
        defer { session.remove() }
        let summary = try session.run()
        #expect(summary.stacks.count == 4)
        #expect(Set(summary.stacks.map(\.filter)) == ["L", "R", "G", "B"])
        // The starless sub of each filter is rejected with the reason; the cloudy one is kept at the lowest weight or
        // rejected for it.
        let truth = try SessionTruth.load(folder: session.truth)
        for light in truth.lights where light.conditions.starless || light.conditions.cloudy {
            let row = try #require(summary.frames.first { $0.path.hasSuffix(light.file) })
            if light.conditions.starless {
                #expect(!row.accepted && row.rejection?.contains("stars") == true, "\(light.file): \(row.rejection ?? "accepted")")
            } else if row.accepted {
                let others = summary.frames.filter { $0.stack == row.stack && $0.accepted && $0.path != row.path }
                #expect((row.weight ?? 1) < 0.2 && others.allSatisfy { ($0.weight ?? 0) > (row.weight ?? 1) }, "cloudy \(light.file): weight \(row.weight ?? -1)")
            } else {
                // Under the green-tinted sky the cloudy G sub falls below selection.minimumWeight: rejected for its weight.
                #expect(row.rejection?.contains("weight") == true, "cloudy \(light.file): \(row.rejection ?? "")")
            }
        }
        // The table shows what selection compared: every accepted frame's selection weight reaches the minimum.
        let minimumWeight = PipelineConfiguration().selection.minimumWeight
        for row in summary.frames where row.accepted {
            #expect((row.selectionWeight ?? 0) >= minimumWeight, "\(row.path): selection weight \(row.selectionWeight ?? -1)")
        }
        // A frame rejected before the integration has no integration weight; the best integrated frame has 1.
        for row in summary.frames where !row.accepted { #expect(row.weight == nil, "\(row.path): rejected, weight \(row.weight ?? -1)") }
        for stack in Set(summary.frames.map(\.stack)) {
            #expect(summary.frames.filter { $0.stack == stack && $0.accepted }.compactMap(\.weight).max() == 1)
        }
        let crops = Set(summary.stacks.compactMap { $0.crop.map { "\($0)" } })
        #expect(crops.count == 1, "one crop per panel keeps the filters aligned: \(crops)")
        for stack in summary.stacks {
            // Registration on the whole master; flatness and trails on the area every frame covers. Six subs per
            // filter (one starless, one cloudy) leave a faint trail residue; 2 σ still tells rejection from none.
            let full = try session.verify(try #require(stack.master)), cropped = try session.verify(try #require(stack.autocropped))
            #expect((full.starRMS ?? 9) < 0.1, "\(stack.filter): star RMS \(full.starRMS ?? -1) px")
            #expect((cropped.flatnessPercent ?? 99) < 1.0, "\(stack.filter): flatness \(cropped.flatnessPercent ?? -1) %")
            #expect((cropped.trailResidueSigma ?? 0) < 2.0, "\(stack.filter): trail residue \(cropped.trailResidueSigma ?? -1) σ")
            #expect(full.recoveredFraction > 0.8)
            #expect(FileManager.default.fileExists(atPath: try #require(stack.master)))
            #expect(FileManager.default.fileExists(atPath: try #require(stack.lnReference)))
        }
        // Intermediates are removed by default; the report and log are there.
        #expect(!FileManager.default.fileExists(atPath: session.output + "/calibrated"))
        #expect(FileManager.default.fileExists(atPath: session.output + "/report/index.html"))
        let log = try String(contentsOfFile: try #require(summary.log), encoding: .utf8)
        for row in summary.frames where !row.accepted { #expect(log.contains("rejected \(URL(fileURLWithPath: row.path).lastPathComponent)")) }
        #expect(log.contains("registration reference"))

        let again = try session.run()
        #expect(again.computed == 0, "second run recomputed: \(again.stages.filter { $0.computed > 0 })")
        #expect(again.stacks.map(\.autocropped) == summary.stacks.map(\.autocropped))
    }

    /// Two panels: each gets its own registration reference, LN reference and stack, scored against its own truth.
    @Test func twoPanelMosaicStacksEachPanelAgainstItsOwnReferences() throws {
        let session = try PipelineSession(name: "mosaic", lights: 6, panels: 2, seed: 11)
        defer { session.remove() }
        let summary = try session.run()
        #expect(summary.stacks.count == 2)
        #expect(Set(summary.stacks.map(\.panel)).count == 2)
        #expect(Set(summary.stacks.compactMap(\.lnReference)).count == 2)
        #expect(Set(summary.stacks.compactMap(\.registrationReference)).count == 2)
        for stack in summary.stacks {
            let master = try #require(stack.master)
            let panel = try #require(try ImageFile.read(master).metadata.keyword("PANEL")?.doubleValue.map { Int($0) })
            let full = try session.verify(master, panel: panel), cropped = try session.verify(try #require(stack.autocropped), panel: panel)
            #expect((full.starRMS ?? 9) < 0.1, "panel \(panel): star RMS \(full.starRMS ?? -1) px")
            #expect((cropped.flatnessPercent ?? 99) < 1.0, "panel \(panel): flatness \(cropped.flatnessPercent ?? -1) %")
            // Every frame of the stack belongs to its panel.
            let members = summary.frames.filter { $0.stack == stack.name }
            #expect(members.count == 6)
            #expect(Set(members.map(\.panel)) == [stack.panel])
        }
    }

    /// No master flat for R: the run stops before any work, with the ✗ tree, and writes only the link report.
    @Test func aBrokenLinkStopsBeforeAnyWork() throws {
        let session = try PipelineSession(name: "broken", filters: ["L", "R"], lights: 3)
        defer { session.remove() }
        let flats = session.session + "/flats/R"
        #expect(FileManager.default.fileExists(atPath: flats))
        try FileManager.default.removeItem(atPath: flats)
        var message = ""
        do {
            _ = try session.run()
            Issue.record("the run went on with a broken link")
        } catch let error as PipelineError {
            message = error.localizedDescription
        }
        #expect(message.contains("✗"))
        #expect(message.contains("flat"))
        for folder in ["master", "calibrated", "registered", "normalized"] {
            #expect(!FileManager.default.fileExists(atPath: session.output + "/" + folder), "\(folder)/ was written")
        }
        let report = try String(contentsOfFile: session.output + "/report/index.html", encoding: .utf8)
        #expect(report.contains("broken calibration links"))
        #expect(try String(contentsOfFile: session.output + "/report/links.html", encoding: .utf8).contains("✗"))
        // With --allow-missing the linked filter is processed and the other skipped with its reason.
        var configuration = PipelineSession.configuration()
        configuration.link.allowMissing = true
        let summary = try session.run(configuration)
        #expect(summary.stacks.map(\.filter) == ["L"])
        #expect(summary.skipped.filter { $0.reason.contains("missing") }.count == 3)
    }

    /// Interrupted during calibration, the next run redoes none of the finished frames; a repeated run computes
    /// nothing; a changed integration setting redoes integration only.
    @Test func anInterruptedRunResumesWithoutRedoingFinishedSteps() throws {
        let session = try PipelineSession(name: "resume", lights: 8, seed: 5)
        defer { session.remove() }
        let configuration = PipelineSession.configuration(keepIntermediates: true)
        do {
            _ = try session.run(configuration, observer: StoppingObserver(stage: "calibrate", after: 3))
            Issue.record("the run was not interrupted")
        } catch PipelineError.interrupted(let stage) {
            #expect(stage == "calibrate")
        }
        let calibrated = try FileManager.default.subpathsOfDirectory(atPath: session.output + "/calibrated").filter { $0.hasSuffix(".xisf") }
        #expect(calibrated.count >= 3 && calibrated.count < 8)
        let stamps = calibrated.map { StepCache.stamp(session.output + "/calibrated/" + $0) }

        let resumed = try session.run(configuration)
        let calibrate = try #require(resumed.stages.first { $0.stage == "calibrate" })
        #expect(calibrate.computed == 8 - calibrated.count)
        #expect(calibrate.reused == calibrated.count)
        #expect(resumed.stages.first { $0.stage == "masters" }?.computed == 0)
        #expect(calibrated.map { StepCache.stamp(session.output + "/calibrated/" + $0) } == stamps, "finished frames were rewritten")

        let repeated = try session.run(configuration)
        #expect(repeated.computed == 0)

        var changed = configuration
        changed.integration.rejection = .sigma
        let partial = try session.run(changed)
        #expect(Set(partial.stages.filter { $0.computed > 0 }.map(\.stage)) == ["integrate", "autocrop"])
        #expect(partial.stacks.first?.rejection == "sigma")
    }

    /// Frames held in memory leave no calibrated/ or registered/ files, and give the same stack as frames passed
    /// through files (too small a memory budget); a second run computes nothing, and a changed integration setting
    /// recomputes from the raw frames only the frames it needs (calibration, registration), not masters,
    /// measurements, the LN reference or the LN fits.
    @Test func framesHeldInMemoryGiveTheFilesStackAndResumeFromRawFramesOnlyWhereTheyMust() throws {
        let session = try PipelineSession(name: "memory", size: 512, lights: 8, seed: 11)
        defer { session.remove() }
        let held = try session.run()
        #expect(held.framesInMemory)
        for folder in ["calibrated", "registered", "normalized"] {
            #expect(!FileManager.default.fileExists(atPath: session.output + "/" + folder), "\(folder)/ written")
        }
        var small = PipelineSession.configuration()
        small.output.memoryBudget = 8   // 6 MB for frames: 8 frames of 1 MB do not fit
        let filesOutput = session.folder + "/files"
        let watcher = FolderWatcher([filesOutput + "/calibrated", filesOutput + "/registered"])
        let files = try session.run(small, observer: watcher, output: filesOutput)
        #expect(!files.framesInMemory)
        #expect(files.framesThroughFilesReason?.contains("8 frames need 8 MB") == true)
        let heldStack = try ImageFile.read(try #require(held.stacks.first?.master))
        let filesStack = try ImageFile.read(try #require(files.stacks.first?.master))
        #expect(heldStack.samples.count == filesStack.samples.count)
        let largest = zip(heldStack.samples, filesStack.samples).map { $0.isNaN && $1.isNaN ? 0 : abs($0 - $1) }.max() ?? .nan
        #expect(largest == 0, "held and file stacks differ by \(largest)")
        // Through files, only registered frames are written: registration calibrates each light again from its raw
        // sub (with the dark factors found before) instead of reading a calibrated file back; the stacks above are
        // identical, so the recalibrated frames equal the first calibration's.
        let filesLog = try String(contentsOfFile: try #require(files.log), encoding: .utf8)
        #expect(filesLog.contains("8 lights are calibrated again from their raw subs for registration"))
        #expect(watcher.populated == [filesOutput + "/registered"], "frame files seen during the run: \(watcher.populated)")
        let filesComputed = Dictionary(uniqueKeysWithValues: files.stages.map { ($0.stage, $0.computed) })
        #expect(filesComputed["calibrate"] == 8 && filesComputed["register"] == 8)
        // Resumed with a changed integration setting: the registered files went with the run's intermediates, so
        // the frames are calibrated again and registered, and nothing else before the integration is redone.
        var smallChanged = small
        smallChanged.integration.rejection = .sigma
        let filesPartial = try session.run(smallChanged, output: filesOutput)
        let filesRedone = Dictionary(uniqueKeysWithValues: filesPartial.stages.map { ($0.stage, $0.computed) })
        #expect(filesRedone["calibrate"] == 8 && filesRedone["register"] == 8 && filesRedone["integrate"] == 1)
        for stage in ["masters", "measure", "LN reference", "normalize"] { #expect((filesRedone[stage] ?? 0) == 0, "\(stage) recomputed") }

        #expect(try session.run().computed == 0)
        var changed = PipelineSession.configuration()
        changed.integration.rejection = .sigma
        let partial = try session.run(changed)
        let computed = Dictionary(uniqueKeysWithValues: partial.stages.map { ($0.stage, $0.computed) })
        #expect(computed["calibrate"] == 8 && computed["register"] == 8 && computed["integrate"] == 1)
        for stage in ["masters", "measure", "LN reference", "normalize"] { #expect((computed[stage] ?? 0) == 0, "\(stage) recomputed") }
        #expect(partial.stacks.first?.rejection == "sigma")
    }
}
