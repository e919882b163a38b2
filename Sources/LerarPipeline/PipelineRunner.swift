import Foundation
import LerarCalibration
import LerarCore
import LerarDebayer
import LerarIO
import LerarNormalization
import LerarRegistration

/// `lerar run`: WBPP's order of work on folders of raw subs — link, masters, calibrate (+ cosmetic correction),
/// measure and select, register, LN reference and Local Normalization, integrate per filter and panel, autocrop —
/// with every finished step in a resume cache (`StepCache`), a log of every decision and an HTML report.
public final class PipelineRunner: @unchecked Sendable {
    public struct Options: Sendable {
        public var roots: [String]
        public var output: String
        public var configuration: PipelineConfiguration
        /// Link and show what would be done; process nothing.
        public var dryRun = false
        /// The share of the run this process does (`lerar step` runs one plan level's share).
        public var scope: RunScope = .all
        /// The link made with the plan: a step uses it instead of cataloguing the folders again, so every step keys
        /// the same files the plan did.
        public var linkPlan: LinkPlan?

        public init(roots: [String], output: String, configuration: PipelineConfiguration = PipelineConfiguration()) {
            self.roots = roots
            self.output = output
            self.configuration = configuration
        }
    }

    /// One light frame on its way through the stages.
    struct LightFrame {
        let path: String
        let lightGroup: String
        let stack: StackID
        let filter: String
        let panel: PanelIdentity
        let date: String?
        let calibrated: String
        /// A one-shot-colour light: debayered after calibration (`_c_d`).
        var oneShotColour = false
        /// Where its calibrated mosaic is kept, for Bayer drizzle (`_c`, before the debayer).
        var mosaic: String?
        /// Bytes of its calibrated (debayered) image in memory.
        var imageBytes = 0
        var calibrateKey = "", measureKey = ""
        var registerKey: String?, normalizeKey: String?
        var measurement: FrameMeasurement?
        var registration: Registrar.FrameReport?
        var lnScale: Double?
        var rejection: String?
        /// Samples rejected low / high by its stack's integration, % of its pixels.
        var rejectedShares: (low: Double, high: Double)?
        /// Calibrated by this run (not taken from the cache).
        var calibratedThisRun = false
    }

    public let options: Options
    let observer: any PipelineObserver
    var configuration: PipelineConfiguration { options.configuration }
    let output: String
    var log: RunLog!
    var cache: StepCache!
    /// The locked output folder, held for the whole run.
    var outputFolder: OutputFolder?
    var summary: RunSummary
    var plan: LinkPlan!
    var masters: [String: MasterBuilder.Built] = [:]
    var masterKeys: [String: String] = [:]
    var frames: [LightFrame] = []
    /// Panel → registration reference frame index (or an external file).
    var registrationReferences: [String: (index: Int?, path: String, key: String)] = [:]
    /// Stars found while measuring, by frame, for registration in the same run (in files: `StarListSpool`).
    lazy var starLists = StarListSpool(folder: (layout.path(.cache) as NSString).appendingPathComponent("stars"))
    /// Stack → the common data area of its normalized frames, gathered while normalizing.
    var coverage: [StackID: SharedAutocrop] = [:]
    /// Wall time per stage.
    var clock = StageClock()
    /// Calibrated and registered frames passed on in memory (within `output.memoryBudget`) instead of files.
    var store = FrameStore(budget: 0)
    /// Whether frames are held in memory: decided once the frames are known (`chooseFrameStore`).
    var holdsFrames = false
    /// Light group → its calibrator, while frames are calibrated (`lightCalibrators`).
    var builtCalibrators: [String: (LightCalibrator, String)] = [:]
    /// Whole frames calibrated, registered or normalized at once.
    var framesInFlight = Parallel.coreCount

    public init(options: Options, observer: any PipelineObserver = SilentObserver()) {
        var options = options
        // Absolute roots: frame paths are part of the cache keys, and the same folder must key the same however named.
        options.roots = options.roots.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        self.options = options
        self.observer = observer
        output = URL(fileURLWithPath: options.output).standardizedFileURL.path
        summary = RunSummary(output: output)
    }

    /// The output folder's sub-folders and file suffixes.
    var layout: OutputLayout { OutputLayout(root: output) }

    func folder(_ folder: OutputLayout.Folder) -> String { layout.path(folder) }

    /// Runs the pipeline; returns what it did. Throws `brokenLinks` before any work when a light has no valid master
    /// (unless `link.allowMissing`), `interrupted` when the observer asked to stop.
    public func run() throws -> RunSummary {
        let start = Date()
        try openRun(start)
        try timed("link") { try link(); try prepareFrames() }
        chooseFrameStore()
        chooseFramesInFlight()
        if options.dryRun {
            dryRunSummary()
            summary.seconds = Date().timeIntervalSince(start)
            return summary
        }
        let scope = options.scope
        guard scope.reaches(.masters) else { return summary }
        try timed("masters") { try buildMasters() }
        guard scope.reaches(.calibrate) else { return finishedStep(start) }
        try timed("measure") { try measure() }
        guard scope.reaches(.register) else { return finishedStep(start) }
        select()
        try chooseRegistrationReferences()
        try timed("register") { try registerAll() }
        guard scope.reaches(.integrate) else { return finishedStep(start) }
        try timed("integrate") { try integrateStacks() }
        guard scope.reaches(.final) else { return finishedStep(start) }
        try timed("autocrop") { try autocropPanels(); removeIntermediates() }
        try timed("finish") { try finishPanels() }
        if store.spilled > 0 {
            log.info("\(store.spilled) calibrated or registered frames went through files: the frames held in memory filled output.memoryBudget (\(configuration.output.memoryBudget) MB)")
        }
        summary.frames = frameRows()
        summary.warnings = log.warnings
        try timed("report") {
            recordStageTimes()
            summary.seconds = Date().timeIntervalSince(start)
            summary.report = try RunReport(summary: summary, plan: plan, configuration: configuration, folder: folder(.report)).write()
        }
        recordStageTimes()
        // For scripts, and for `lerar run --executor slurm`, which shows it when its last step ends.
        try AtomicFileWriter.write(try summary.jsonData(), to: (folder(.report) as NSString).appendingPathComponent("summary.json"), overwrite: true)
        log.info("time per stage: " + summary.stages.compactMap { stage in stage.seconds.map { String(format: "%@ %.2f s", stage.stage, $0) } }.joined(separator: ", "))
        log.info("peak RSS at the end of each stage: " + summary.stages.compactMap { stage in stage.peakResidentMB.map { "\(stage.stage) \($0) MiB" } }.joined(separator: ", "))
        log.info("report: \(summary.report ?? "")")
        if let earlier = cache?.outputsWithEarlierHashes, earlier > 0 {
            log.info("\(earlier) cached outputs were recorded by an earlier Lerar with a content hash it no longer makes: their steps were computed again")
        }
        log.info(String(format: "finished in %.1f s: %d items computed, %d taken from the cache", summary.seconds, summary.computed,
                        summary.stages.reduce(0) { $0 + $1.reused }))
        return summary
    }

    /// Checks the configuration and folders, locks the output folder (not for a step: the run that submitted it holds
    /// the lock), opens the log and the cache.
    func openRun(_ start: Date) throws {
        try configuration.validate()
        for root in options.roots {
            if OutputFolder.contains(root, output) { throw PipelineError.outputInsideInput(output) }
            // The other way round, the run's folders would mix with the data, and scans would skip it (the marker).
            if OutputFolder.contains(output, root) { throw PipelineError.inputInsideOutput(input: root, output: output) }
        }
        let scope = options.scope
        var leftovers: [String] = []
        if scope == .all {
            // One run per output folder: a second one would mix its frames into the first one's masters.
            let folderLock = try OutputFolder(path: output, command: "lerar run " + options.roots.joined(separator: " "))
            outputFolder = folderLock
            leftovers = folderLock.removeLeftovers()
        }
        let stamp = Self.fileStamp(start)
        let stem = scope == .all ? "run-\(stamp)" : "step-\(scope.name)-\(stamp)"
        let logPath = options.dryRun || scope == .plan ? nil : try Self.uniqueFile(in: folder(.logs), stem: stem, extension: "log")
        log = try RunLog(path: logPath, observer: observer)
        summary.log = log.path
        summary.dryRun = options.dryRun
        if let logPath, scope == .all {
            try AtomicFileWriter.write(Data(PipelineConfigurationFile.yaml(configuration).utf8),
                                       to: (logPath as NSString).deletingPathExtension + ".config.yaml", overwrite: true)
        }
        if scope == .plan { return try openCache() }
        log.info("\(LerarVersion.application) \(scope == .all ? "run" : "step \(scope.name)"): \(options.roots.joined(separator: " ")) → \(output)")
        for name in leftovers { log.info("removed \(name), left behind by an earlier run that was stopped") }
        try openCache()
    }

    func openCache() throws {
        // A step appends to a journal of its own: many run at once on several hosts.
        let writer = options.scope.isStep ? "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(UUID().uuidString.prefix(8))" : nil
        cache = try StepCache(folder: folder(.cache), writer: writer)
    }

    /// The summary of a step that ends before the report.
    func finishedStep(_ start: Date) -> RunSummary {
        recordStageTimes()
        summary.seconds = Date().timeIntervalSince(start)
        summary.warnings = log.warnings
        log.info(String(format: "step %@ finished in %.1f s: %d items computed, %d taken from the cache", options.scope.name, summary.seconds,
                        summary.computed, summary.stages.reduce(0) { $0 + $1.reused }))
        return summary
    }

    /// Copies the stage clock into the summary's stage rows.
    func recordStageTimes() {
        for (stage, seconds) in clock.seconds {
            let peak = clock.peakResidentMB[stage]
            if let index = summary.stages.firstIndex(where: { $0.stage == stage }) {
                summary.stages[index].seconds = seconds
                summary.stages[index].peakResidentMB = peak
            } else { summary.stages.append(.init(stage: stage, seconds: seconds, peakResidentMB: peak)) }
        }
    }

    static func fileStamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: date)
    }

    /// `folder/stem.ext`, or `stem-2.ext`, `stem-3.ext`, … when taken: created exclusively, so two runs started in
    /// the same second never share a log.
    static func uniqueFile(in folder: String, stem: String, extension ext: String) throws -> String {
        try OutputFolder.create(folder)
        for attempt in 1...1000 {
            let path = (folder as NSString).appendingPathComponent(stem + (attempt == 1 ? "" : "-\(attempt)") + "." + ext)
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if descriptor >= 0 { close(descriptor); return path }
            guard errno == EEXIST else { throw PipelineError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        }
        throw PipelineError.cannotWrite(path: folder, reason: "no free log name for \(stem)")
    }

    /// Throws `interrupted` when the observer asks to stop.
    func checkStop(_ stage: String) throws {
        if observer.shouldStop() { throw PipelineError.interrupted(stage) }
    }

    // MARK: link

    func link() throws {
        let rules = configuration.link.rules
        let overrides = try configuration.link.overrides.map { try LinkOverrides.load($0) }
        if let given = options.linkPlan {
            plan = given
        } else {
            observer.stageStarted("catalogue", total: 0)
            plan = try LinkPlan.make(roots: options.roots, rules: rules, overrides: overrides) { [observer] done, total in
                observer.advanced("catalogue", done: done, total: total)
            }
        }
        summary.fullyLinked = plan.fullyLinked
        summary.skipped = plan.skipped
        if !options.scope.isStep { log.info("linked \(plan.frames.count) frames in \(plan.groups.count) groups:\n" + LinkTreeFormatter.render(plan, color: false)) }
        if !options.dryRun && (options.scope == .all || options.scope == .final) {
            try FileManager.default.createDirectory(atPath: folder(.report), withIntermediateDirectories: true)
            try AtomicFileWriter.write(Data(LinkDiagramHTML.render(plan, title: "Lerar run — linked files").utf8),
                                       to: (folder(.report) as NSString).appendingPathComponent("links.html"), overwrite: true)
        }
        guard !plan.lights.isEmpty else { throw PipelineError.noLights("no light frames found in \(options.roots.joined(separator: ", "))") }
        if !plan.fullyLinked {
            let tree = LinkTreeFormatter.render(plan, color: false)
            if !configuration.calibration.required {
                for links in plan.lights where !links.fullyLinked {
                    let missing = links.decisions.filter { $0.status == .missing }.map { "no \($0.role.label) (\($0.reason))" }
                    log.warning("light group \(links.lightGroup): \(missing.joined(separator: "; ")) — registered and integrated without (calibration.required is false)")
                }
            } else if !configuration.link.allowMissing {
                log.error("broken calibration links: nothing processed")
                if !options.dryRun {
                    summary.warnings = log.warnings
                    _ = try? RunReport(summary: summary, plan: plan, configuration: configuration, folder: folder(.report)).write()
                }
                throw PipelineError.brokenLinks(tree)
            } else {
                log.warning("broken calibration links: the lights concerned are skipped (--allow-missing)")
            }
        }
        for warning in plan.warnings ?? [] { log.warning(warning) }
    }

    /// Whether a light group is processed: fully linked, or calibration is not required (then with what it has).
    func usable(_ links: LightGroupLinks) -> Bool { links.fullyLinked || !configuration.calibration.required }

    /// One entry per light of a linked group, with its stack, panel and calibration key.
    func prepareFrames() throws {
        let calibration = configuration.calibrationParameters
        var catalogued: [String: CatalogedFrame] = [:]
        for frame in plan.frames { catalogued[frame.path] = frame }
        var taken = Set<String>()
        var memberIdentities: [String: String] = [:]
        for links in plan.lights {
            guard let group = plan.group(links.lightGroup) else { continue }
            guard usable(links) else {
                let missing = links.decisions.filter { $0.status == .missing }.map { "\($0.role.label): \($0.reason)" }.joined(separator: "; ")
                for path in group.members {
                    summary.skipped.append(SkippedFile(path: path, reason: "not calibrated: missing \(missing)"))
                    log.warning("skipped \(path): no valid master (\(missing))")
                }
                continue
            }
            for path in group.members {
                let header: ImageFileHeader
                do { header = try ImageFile.readHeader(path) } catch where options.scope.isStep && !mayCompute(.calibrate, path) {
                    // Damaged since the plan was made: its own calibration step fails and names it; other steps go on.
                    log.warning("left out \(path): \(error)")
                    continue
                }
                let panel = PanelIdentity(header.metadata, keys: configuration.registration.panelKeywords)
                if group.bayerPattern != nil {
                    // A mosaic that cannot be debayered (X-Trans, an unknown pattern, a bad offset) is skipped up front.
                    do { _ = try CFALayout(metadata: header.metadata, height: header.height, override: configuration.debayer.pattern) } catch {
                        summary.skipped.append(SkippedFile(path: path, reason: "cannot be debayered: \(error)"))
                        log.warning("skipped \(path): cannot be debayered: \(error)")
                        continue
                    }
                }
                // The stack (WBPP's post-calibration group): calibration-only keys such as the night do not split it.
                let stack = StackID(group, panel: panel, keys: configuration.registration.panelKeywords,
                                             stackValues: catalogued[path]?.stackValues ?? [:])
                var name = OutputLayout.calibratedName(of: path, cosmetic: calibration.cosmeticCorrection, extension: calibration.outputExtension)
                // Nights kept in separate folders often repeat file names; the stack folder holds them all.
                var attempt = 1
                let base = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
                while !taken.insert(stack.name + "/" + name).inserted {
                    attempt += 1
                    name = "\(base)_\(attempt).\(ext)"
                }
                // One-shot colour: the debayered frame is `…_d`; the calibrated mosaic, kept for Bayer drizzle, has the plain name.
                let stackFolder = layout.path(.calibrated, stack: stack.name) as NSString
                let unique = (name as NSString).deletingPathExtension
                var frame = LightFrame(path: path, lightGroup: links.lightGroup, stack: stack, filter: group.filter ?? "",
                                       panel: panel, date: header.metadata.keyword("DATE-OBS")?.stringValue,
                                       calibrated: stackFolder.appendingPathComponent(group.bayerPattern != nil ? unique + OutputLayout.Suffix.debayered.rawValue + "." + ext : name))
                let used = SessionCalibrator.usedMasters(links, parameters: calibration).filter { $0.status != .missing }.compactMap { $0.group }.map { id in
                    // Each master's members are stat'ed once, not once per light (2,000 lights × 60 members otherwise).
                    if let known = memberIdentities[id] { return known }
                    let identities = plan.group(id).map { $0.members.map(StepCache.identity).joined(separator: ",") } ?? id
                    memberIdentities[id] = identities
                    return identities
                }
                frame.oneShotColour = group.bayerPattern != nil
                frame.imageBytes = header.width * header.height * (frame.oneShotColour ? 3 : header.channelCount) * MemoryLayout<Float>.stride
                if frame.oneShotColour && configuration.drizzleParameters != nil && configuration.integration.drizzleCFA {
                    frame.mosaic = stackFolder.appendingPathComponent(name)
                }
                let debayer = frame.oneShotColour ? [StepCache.describe(configuration.debayerParameters), frame.mosaic == nil ? "" : "mosaic kept"] : []
                frame.calibrateKey = StepCache.key("calibrate", [StepCache.identity(path), StepCache.describe(calibration), StepCache.describe(links)] + debayer + used)
                frame.measureKey = StepCache.key("measure", [frame.calibrateKey])
                frames.append(frame)
            }
        }
        guard !frames.isEmpty else { throw PipelineError.noLights("every light group lacks a valid master") }
    }

    /// `BIN-1_EXPTIME-300s_FILTER-L` + the integration keywords and the panel keywords that have values.
    func dryRunSummary() {
        let cached = frames.filter { cache.record($0.measureKey) != nil }.count
        log.info("dry run: \(frames.count) lights in \(Set(frames.map(\.stack)).count) stacks; \(cached) already calibrated and measured in the cache")
        for stack in Set(frames.map(\.stack)).sorted() {
            let members = frames.filter { $0.stack == stack }
            log.info("  would stack \(members.count) frames into master/masterLight_\(stack.name).\(configuration.output.format)")
        }
        summary.frames = frameRows()
    }

    /// Deletes calibrated/, registered/ and normalized/ after a successful run unless asked to keep them; the cache
    /// still knows their results, so a repeated run redoes nothing.
    func removeIntermediates() {
        starLists.removeAll()
        guard !configuration.output.keepIntermediates else { return }
        for name in [OutputLayout.Folder.calibrated, .registered, .normalized] where FileManager.default.fileExists(atPath: folder(name)) {
            try? FileManager.default.removeItem(atPath: folder(name))
            log.info("removed intermediate folder \(name.rawValue)/ (output.keepIntermediates is false)")
        }
    }
}
