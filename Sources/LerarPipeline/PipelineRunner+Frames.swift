import Foundation
import LerarCalibration
import LerarCore
import LerarDebayer
import LerarIO
import LerarRegistration

/// Per-frame stages: calibrate (measuring on the way), select, register.
extension PipelineRunner {
    /// Runs `body` for each index in parallel (one frame per core), with the stage's progress; results are stored
    /// by `body` itself as each frame finishes, so a stop or failure keeps everything finished before it.
    func forEachFrame(_ stage: String, _ indices: [Int], _ body: @escaping @Sendable (Int) throws -> Void) throws {
        guard !indices.isEmpty else { return }
        observer.stageStarted(stage, total: indices.count)
        let errors = FirstError(), done = Tally(), stopped = Tally()
        Parallel.forEach(iterations: indices.count, workers: framesInFlight) { [observer] position in
            guard errors.first == nil, stopped.count == 0 else { return }
            if observer.shouldStop() { _ = stopped.next(); return }
            do { try body(indices[position]) } catch { errors.record(error) }
            observer.advanced(stage, done: done.next(), total: indices.count)
        }
        if let error = errors.first { throw error }
        try checkStop(stage)
        if stopped.count > 0 { throw PipelineError.interrupted(stage) }
    }

    /// Whether calibrated frames not held in memory are written to `calibrated/`: for a cluster step (the next
    /// level's tasks read them), for drizzle (it reads them again) and with `keepIntermediates`. Otherwise
    /// registration recalibrates such a frame from its raw sub, which costs less than writing and reading it back.
    var writesCalibratedFiles: Bool {
        options.scope.isStep || configuration.output.keepIntermediates || configuration.drizzleParameters != nil
    }

    /// Whether a frame not held in memory is written to `calibrated/`: always for one-shot colour, whose debayer
    /// (VNG) costs more than the file (24 × 2048² OSC, alternating: 30.3, 31.8 s written, 33.8 s recalibrated; again
    /// after VNG lost a quarter of its time, stop 32: 19.0, 18.1 s written, 21.0, 21.0 s recalibrated).
    func writesCalibratedFile(_ frame: LightFrame) -> Bool { writesCalibratedFiles || frame.oneShotColour }

    /// The calibrator of each light group of `indices`, with its description for the log; built once in a run
    /// (the defect map and the normalized flat cost a pass over the masters) and kept until registration is done.
    func lightCalibrators(for indices: [Int]) throws -> [String: (LightCalibrator, String)] {
        var calibrators: [String: (LightCalibrator, String)] = [:]
        for group in Set(indices.map { frames[$0].lightGroup }) {
            if let built = builtCalibrators[group] { calibrators[group] = built; continue }
            guard let links = plan.lights.first(where: { $0.lightGroup == group }), let lightGroup = plan.group(group) else { continue }
            calibrators[group] = try SessionCalibrator.calibrator(for: links, group: lightGroup, masters: masters, parameters: configuration.calibrationParameters)
            builtCalibrators[group] = calibrators[group]
        }
        return calibrators
    }

    /// Writes an intermediate frame (calibrated, mosaic, registered, normalized) as Float32, its folder made first;
    /// returns its content hash for the journal where the writer made it from the bytes in hand.
    static func writeFrame(_ image: Image, to path: String) throws -> [String: String] {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var options = ImageWriteOptions(sampleFormat: .float32, overwrite: true)
        options.contentHash = true
        return try ImageFile.write(image, to: path, options: options).map { [path: $0] } ?? [:]
    }

    /// A light calibrated from its raw sub (its mosaic kept where Bayer drizzle wants it), debayered when one-shot
    /// colour, its dark factors, and the content hash of the mosaic written (for the journal); `darkFactors` from an
    /// earlier calibration of it skip the dark optimisation.
    static func calibrate(_ frame: LightFrame, with calibrator: (LightCalibrator, String), parameters: CalibrationParameters,
                          debayer: DebayerParameters, darkFactors: [Double]? = nil) throws -> (Image, [Double], [String: String]) {
        var (image, factors) = try calibrator.0.calibrate(try ImageFile.read(frame.path), darkFactors: darkFactors)
        image.metadata.addHistory(SessionCalibrator.history(calibrator.1, factors: factors, parameters: parameters, defects: calibrator.0.defectCount))
        // One-shot colour: calibrated and corrected on the mosaic (CFA-aware), then debayered; the stages after this
        // one measure and register on the channels' mean and normalize and integrate each channel.
        var hashes: [String: String] = [:]
        if let mosaic = frame.mosaic {
            hashes = try Self.writeFrame(image, to: mosaic)
        }
        if frame.oneShotColour { image = try Debayer.debayer(image, parameters: debayer) }
        return (image, factors, hashes)
    }

    /// Calibrates and measures the frames of `indices` that are neither in the cache's files nor held. Each goes on
    /// in memory when the budget allows, else to its file when `writesCalibratedFile`, else nowhere (registration
    /// recalibrates it).
    func ensureCalibrated(_ indices: [Int]) throws {
        clock.start("calibrate"); defer { clock.stop() }
        let todo = indices.filter { cache.intact(frames[$0].calibrateKey) == nil && !self.store.holds(frames[$0].calibrated) }
        // Frames calibrated earlier in this run are not "from the cache".
        summary.count("calibrate", reused: indices.filter { !frames[$0].calibratedThisRun }.count - todo.count)
        guard !todo.isEmpty else { return }
        let parameters = configuration.calibrationParameters, debayerParameters = configuration.debayerParameters
        let snapshot = frames, journal = self.cache!, log = self.log!, shared = try lightCalibrators(for: todo)
        let measured = LockedDictionary<Int, FrameMeasurement>(), warned = LockedDictionary<String, Int>(), starLists = self.starLists
        // The registration's own detector, so the stars kept for it are the ones it would find.
        let analyzer = Registrar(parameters: configuration.registrationParameters)
        let store = self.store, holdsFrames = self.holdsFrames, writesFiles = Dictionary(uniqueKeysWithValues: todo.map { ($0, writesCalibratedFile(frames[$0])) })
        try forEachFrame("calibrate", todo) { index in
            let frame = snapshot[index]
            let (calibrator, description) = shared[frame.lightGroup]!
            var (image, factors, hashes) = try Self.calibrate(frame, with: (calibrator, description), parameters: parameters, debayer: debayerParameters)
            // Passed on to registration in memory when the budget allows, else through its file (or recalibrated there).
            let held = holdsFrames && store.hold(image, as: frame.calibrated)
            let written = !held && writesFiles[index]!
            if written {
                hashes.merge(try Self.writeFrame(image, to: frame.calibrated)) { _, written in written }
            }
            let report = LightCalibrator.Report(input: frame.path, output: frame.calibrated, darkFactors: factors, pedestal: parameters.pedestal,
                                                invalidFlatPixels: calibrator.invalidFlatPixels, correctedPixels: calibrator.defectCount, warnings: calibrator.warnings)
            try journal.store(frame.calibrateKey, step: "calibrate", outputs: (written ? [frame.calibrated] : []) + (frame.mosaic.map { [$0] } ?? []),
                              payload: report, heldInMemory: !written, hashes: hashes)
            log.info("calibrated \(URL(fileURLWithPath: frame.path).lastPathComponent): \(description), k=\(factors.map { String(format: "%.4f", $0) }.joined(separator: ","))"
                     + (parameters.cosmeticCorrection ? ", \(calibrator.defectCount) defective pixels replaced" : ""))
            // The calibrator's warnings are about its masters: once per light group, not once per frame.
            for warning in calibrator.warnings where warned[frame.lightGroup + warning] == nil {
                warned[frame.lightGroup + warning] = 1
                log.warning("light group \(frame.lightGroup): \(warning)")
            }
            if journal.record(frame.measureKey) == nil {
                // The star analysis serves the measurement now and the registration later in this run.
                let field = analyzer.analyze(image)
                starLists.store(field.stars, for: StarListSpool.key(measureKey: frame.measureKey, parameters: analyzer.parameters))
                let measurement = FrameMeasurer.measure(image, field: field, path: frame.calibrated)
                try journal.store(frame.measureKey, step: "measure", outputs: [], payload: measurement)
                measured[index] = measurement
            }
        }
        summary.count("calibrate", computed: todo.count)
        for index in todo { frames[index].calibratedThisRun = true }
        summary.count("measure", computed: measured.count)
    }

    /// Measurements of every frame: from the cache, else from its calibrated file.
    func measure() throws {
        var missing = frames.indices.filter { cache.payload(frames[$0].measureKey, as: FrameMeasurement.self) == nil }
        summary.count("measure", reused: frames.count - missing.count)
        missing = try ownShare(of: missing, at: .calibrate, missing: "calibrated and measured")
        try ensureCalibrated(missing)
        let still = missing.filter { cache.payload(frames[$0].measureKey, as: FrameMeasurement.self) == nil }
        let snapshot = frames, journal = self.cache!, source = store.source
        try forEachFrame("measure", still) { index in
            let measurement = FrameMeasurer.measure(try source.read(snapshot[index].calibrated), path: snapshot[index].calibrated)
            try journal.store(snapshot[index].measureKey, step: "measure", outputs: [], payload: measurement)
        }
        summary.count("measure", computed: still.count)
        for index in frames.indices { frames[index].measurement = cache.payload(frames[index].measureKey, as: FrameMeasurement.self) }
    }

    /// Rejects frames by weight (a fraction of the stack's best, WBPP's minWeight), star count and FWHM, and logs why.
    func select() {
        let rules = configuration.selection
        for stack in Set(frames.map(\.stack)) {
            let members = frames.indices.filter { frames[$0].stack == stack }
            let best = members.compactMap { frames[$0].measurement?.weight }.max() ?? 0
            for index in members {
                guard let m = frames[index].measurement else { frames[index].rejection = "not measured"; continue }
                let name = URL(fileURLWithPath: frames[index].path).lastPathComponent
                if let share = m.dataFraction, share < rules.minimumDataFraction {
                    frames[index].rejection = share == 0 ? "no data: every pixel is NaN, infinite or 0"
                        : String(format: "only %.1f %% of the pixels hold data (the rest NaN, infinite or 0)", share * 100)
                } else if m.stars < rules.minimumStars {
                    frames[index].rejection = "\(m.stars) stars detected, fewer than \(rules.minimumStars) (starless, clouded or out of focus)"
                } else if best > 0, m.weight < rules.minimumWeight * best {
                    frames[index].rejection = String(format: "PSF signal weight %.3f of the best frame's, below selection.minimumWeight %.3f", m.weight / best, rules.minimumWeight)
                } else if let limit = rules.maximumFWHM, let fwhm = m.fwhm, fwhm > limit {
                    frames[index].rejection = String(format: "FWHM %.2f px above the %.2f px limit", fwhm, limit)
                }
                if let reason = frames[index].rejection { log.warning("rejected \(name): \(reason)") }
            }
        }
    }

    /// Per panel, the registration reference: the configured file, else the accepted frame with most stars per
    /// FWHM² (sharp and transparent), from any filter, so every filter's stack lands on the same grid.
    func chooseRegistrationReferences() throws {
        let parameters = configuration.registrationParameters
        for panel in Set(frames.map { $0.panel.description }).sorted() {
            let members = frames.indices.filter { frames[$0].panel.description == panel && frames[$0].rejection == nil }
            if let path = configuration.registration.reference {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw PipelineError.badConfiguration(path: nil, reason: "registration.reference \(path) does not exist")
                }
                registrationReferences[panel] = (nil, path, StepCache.identity(path))
            } else {
                let scored = members.compactMap { index -> (Int, Double)? in
                    guard let m = frames[index].measurement, let fwhm = m.fwhm, fwhm > 0 else { return nil }
                    return (index, Double(m.stars) / (fwhm * fwhm))
                }
                guard let best = scored.max(by: { $0.1 < $1.1 }) else {
                    log.warning("panel \(panel): no frame with measurable stars can serve as registration reference; its frames are left out")
                    for index in members { frames[index].rejection = "no registration reference in its panel" }
                    continue
                }
                registrationReferences[panel] = (best.0, frames[best.0].calibrated, frames[best.0].calibrateKey)
            }
            let reference = registrationReferences[panel]!
            log.info("panel \(panel): registration reference \(URL(fileURLWithPath: reference.index.map { frames[$0].path } ?? reference.path).lastPathComponent)")
            for index in members {
                frames[index].registerKey = StepCache.key("register", [frames[index].calibrateKey, reference.key, StepCache.describe(parameters)])
            }
        }
    }

    /// Registration results of every accepted frame (cache, else registered now); frames that fail are rejected.
    func registerAll() throws {
        let accepted = frames.indices.filter { frames[$0].registerKey != nil }
        // Frames left out by selection are not registered: their calibrated images give their room to registered ones.
        store.release(frames.indices.filter { frames[$0].registerKey == nil }.map { frames[$0].calibrated })
        var missing = accepted.filter { cache.record(frames[$0].registerKey!) == nil }
        summary.count("register", reused: accepted.count - missing.count)
        missing = try ownShare(of: missing, at: .register, missing: "registered")
        try register(missing)
        for index in accepted {
            if let failure = takeRegistration(index) {
                log.warning("rejected \(URL(fileURLWithPath: frames[index].path).lastPathComponent): registration failed: \(failure)")
            }
        }
    }

    /// A frame's registration result from the cache; a failed registration rejects the frame. Returns the failure.
    @discardableResult
    func takeRegistration(_ index: Int) -> String? {
        frames[index].registration = cache.payload(frames[index].registerKey!, as: Registrar.FrameReport.self)
        guard let failure = frames[index].registration?.failure else { return nil }
        frames[index].rejection = "registration: \(failure)"
        return failure
    }

    /// Of the lights `missing` a per-frame `stage`, those this process computes: all of them in a whole run, its own in
    /// a step of that stage; a step of a later stage finds them missing and stops (`stepNotReady`, naming what).
    func ownShare(of missing: [Int], at stage: RunStage, missing what: String) throws -> [Int] {
        guard options.scope.isStep else { return missing }
        if options.scope.lastStage == stage { return missing.filter { mayCompute(stage, frames[$0].path) } }
        if let first = missing.first { throw PipelineError.stepNotReady("\(missing.count) lights are not \(what), e.g. \(frames[first].path)") }
        return missing
    }

    /// Registered file of a frame.
    func registeredPath(_ index: Int) -> String {
        OutputLayout.path(of: frames[index].calibrated, adding: .registered, extension: configuration.output.format,
                          in: layout.path(.registered, stack: frames[index].stack.name))
    }

    /// Makes sure the registered frames of `indices` are at hand: held in memory or in their files.
    func ensureRegistered(_ indices: [Int]) throws {
        try register(indices.filter { cache.intact(frames[$0].registerKey!) == nil && !store.holds(registeredPath($0)) })
    }

    func register(_ indices: [Int]) throws {
        clock.start("register"); defer { clock.stop() }
        // Calibration is done with once its frames are registered: the masters' room goes to LN and the integration.
        defer { builtCalibrators = [:] }
        guard !indices.isEmpty else { return }
        let panels = Set(indices.map { frames[$0].panel.description })
        let referenceFrames = panels.compactMap { registrationReferences[$0]?.index }
        let needed = Array(Set(indices + referenceFrames))
        // Frames whose calibrated image is neither held nor in a file: calibrated again from their raw subs here
        // (unless the run writes calibrated files, which `ensureCalibrated` then does first).
        var recalibrated: Set<Int> = []
        if writesCalibratedFiles {
            try ensureCalibrated(needed)
        } else {
            recalibrated = Set(needed.filter { cache.intact(frames[$0].calibrateKey) == nil && !self.store.holds(frames[$0].calibrated) })
        }
        if !recalibrated.isEmpty {
            summary.count("calibrate", computed: recalibrated.filter { !frames[$0].calibratedThisRun }.count)
            log.info("\(recalibrated.count) lights are calibrated again from their raw subs for registration: their calibrated frames "
                     + "were not kept (\(holdsFrames ? "not held in memory" : "they do not fit output.memoryBudget") and calibrated/ files are "
                     + "written only for one-shot-colour lights and with output.keepIntermediates, drizzle or a cluster step)")
        }
        // Frames held or in files need no calibrator: its masters (two frames and a defect map) go before the
        // registered frames take their room (24 × 2048² in memory: 38 MB of the 504 MB heap peak, in registration; heaptrack).
        if recalibrated.isEmpty { builtCalibrators = [:] }
        let calibrators = try lightCalibrators(for: Array(recalibrated))
        let parameters = configuration.calibrationParameters, debayerParameters = configuration.debayerParameters
        let snapshot = frames, journal = self.cache!, log = self.log!, source = self.store.source, redo = recalibrated
        // The calibrated image of a frame: held, from its file, or calibrated again with the dark factors found before.
        let calibratedImage = { @Sendable (index: Int) throws -> Image in
            let frame = snapshot[index]
            guard redo.contains(index) else { return try source.read(frame.calibrated) }
            let known = journal.payload(frame.calibrateKey, as: LightCalibrator.Report.self)?.darkFactors
            return try Self.calibrate(frame, with: calibrators[frame.lightGroup]!, parameters: parameters, debayer: debayerParameters, darkFactors: known).0
        }
        let registrar = Registrar(parameters: configuration.registrationParameters)
        var references: [String: Registrar.Reference] = [:]
        for panel in panels {
            let reference = registrationReferences[panel]!
            references[panel] = try registrar.reference(try reference.index.map(calibratedImage) ?? source.read(reference.path), path: reference.path)
        }
        let shared = references, stars = starLists
        let store = self.store, holdsFrames = self.holdsFrames
        var outputs: [Int: String] = [:]
        for index in indices { outputs[index] = registeredPath(index) }
        let outputPaths = outputs
        try forEachFrame("register", indices) { index in
            let frame = snapshot[index], output = outputPaths[index]!
            var (report, registered) = registrar.register(try calibratedImage(index), path: frame.calibrated, to: shared[frame.panel.description]!,
                                                          knownStars: stars.load(for: StarListSpool.key(measureKey: frame.measureKey, parameters: registrar.parameters)))
            // Passed on to LN and integration in memory when the budget allows, else through its file.
            // The calibrated frame is done with first, so its room can take the registered one.
            store.release([frame.calibrated])
            var held = false, hashes: [String: String] = [:]
            if let registered {
                held = holdsFrames && store.hold(registered, as: output)
                if !held {
                    hashes = try Self.writeFrame(registered, to: output)
                }
                report.output = output
            }
            try journal.store(frame.registerKey!, step: "register", outputs: held || registered == nil ? [] : [output], payload: report,
                              heldInMemory: held, hashes: hashes)
            if let rms = report.rms {
                log.info(String(format: "registered %@: %d stars matched, rms %.3f px, rotation %.2f°%@", URL(fileURLWithPath: frame.path).lastPathComponent,
                                report.matched, rms, report.rotationDegrees ?? 0, report.mirrored ? " (meridian flip / mirrored)" : ""))
            }
        }
        summary.count("register", computed: indices.count)
        for index in indices { starLists.remove(for: StarListSpool.key(measureKey: frames[index].measureKey, parameters: registrar.parameters)) }
    }
}

/// A dictionary filled from parallel loops.
final class LockedDictionary<Key: Hashable, Value>: @unchecked Sendable {
    private var storage: [Key: Value] = [:]
    private let lock = NSLock()
    subscript(key: Key) -> Value? {
        get { lock.withLock { storage[key] } }
        set { lock.withLock { storage[key] = newValue } }
    }
    var count: Int { lock.withLock { storage.count } }
}
