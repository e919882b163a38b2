import Foundation
import LerarCalibration
import LerarCore
import LerarIntegration
import LerarIO
import LerarNormalization
import LerarRegistration

/// Per-stack stages: LN reference, Local Normalization, integration, autocrop.
extension PipelineRunner {
    /// What an integration step leaves in the cache.
    struct StackResult: Codable {
        var master: String
        var maps: [String]
        var rejection: String
        /// Per input frame, in order: samples rejected low / high, % of its pixels.
        var rejectedLowPercent: [Double], rejectedHighPercent: [Double]
        /// Per channel, over the whole stack: samples rejected low / high, % of the channel's samples.
        var rejectedLowPercentByChannel: [Double], rejectedHighPercentByChannel: [Double]
        var crop: [Int]?
        var lnReference: String?
        var lnScales: [String: Double]
        /// The drizzled master and its coverage map, when drizzle is on.
        var drizzled: String? = nil, drizzleCoverage: String? = nil
    }

    func normalizedPath(_ index: Int) -> String {
        OutputLayout.path(of: registeredPath(index), adding: .normalized, extension: configuration.output.format,
                          in: layout.path(.normalized, stack: frames[index].stack.name))
    }

    func lnReferencePath(_ stack: StackID) -> String {
        (folder(.master) as NSString).appendingPathComponent("LN_Reference_\(stack.name).\(configuration.output.format)")
    }

    func masterLightPath(_ stack: StackID) -> String {
        (folder(.master) as NSString).appendingPathComponent("masterLight_\(stack.name).\(configuration.output.format)")
    }

    /// A stack's share of the integration stage: its accepted frames and the keys of its LN reference and integration.
    struct StackWork {
        var all: [Int], members: [Int]
        var lnKey: String?
        var integrateKey: String
    }

    /// The stacks in the order they are integrated (by panel, then name).
    func orderedStacks() -> [StackID] {
        var panelOf: [StackID: String] = [:]
        for frame in frames { panelOf[frame.stack] = frame.panel.description }
        return panelOf.keys.sorted { (panelOf[$0]!, $0) < (panelOf[$1]!, $1) }
    }

    /// Members and keys of `stack` once its frames are registered (sets the members' `normalizeKey`).
    func stackWork(_ stack: StackID) -> StackWork {
        let all = frames.indices.filter { frames[$0].stack == stack }
        let members = all.filter { frames[$0].rejection == nil && frames[$0].registration?.output != nil }
        var inputKeys: [String] = members.map { frames[$0].registerKey! }
        var lnKey: String?
        if configuration.normalization.method == .local {
            let key = StepCache.key("lnref", inputKeys + [StepCache.describe(configuration.localNormalizationParameters), "\(configuration.normalization.referenceFrames)",
                                                          "\(configuration.normalization.flattenReference)"])
            lnKey = key
            // The record holds the LN function itself (drizzle applies it where each drop lands).
            for index in members { frames[index].normalizeKey = StepCache.key("normalize", [frames[index].registerKey!, key, "function"]) }
            inputKeys = members.map { frames[$0].normalizeKey! }
        }
        let weights = members.map { String(format: "%.6g", integrationWeight($0)) }
        let parameters = configuration.integrationParameters(weights: [:])
        let settings: [String] = [StepCache.describe(parameters), "\(configuration.integration.autocrop)", configuration.output.format]
            + (configuration.drizzleParameters.map { [StepCache.describe($0)] } ?? [])
        return StackWork(all: all, members: members, lnKey: lnKey, integrateKey: StepCache.key("integrate", inputKeys + weights + settings))
    }

    func integrateStacks() throws {
        let local = configuration.normalization.method == .local
        for stack in orderedStacks() {
            let work = stackWork(stack)
            let (all, members, lnKey, key) = (work.all, work.members, work.lnKey, work.integrateKey)
            let first = frames[all[0]]
            var row = RunSummary.Stack(name: stack.name, filter: first.filter, panel: first.panel.description,
                                       registrationReference: registrationReferences[first.panel.description].map { r in r.index.map { frames[$0].path } ?? r.path },
                                       frames: members.count, rejectedFrames: all.count - members.count)
            guard members.count >= configuration.integration.minimumFrames else {
                row.skipped = "\(members.count) accepted frames, fewer than \(configuration.integration.minimumFrames)"
                log.warning("stack \(row.name) not integrated: \(row.skipped!)")
                summary.stacks.append(row)
                continue
            }
            // The steps before the integration do their share of the stack and go on to the next one.
            if try stackStepShare(stack, members: members, lnKey: lnKey, integrateKey: key) { continue }
            let result: StackResult
            if cache.intact(key) != nil, let cached = cache.payload(key, as: StackResult.self) {
                result = cached
                summary.count("integrate", reused: 1)
                if local { summary.count("normalize", reused: members.count) }
                log.info("stack \(row.name): up to date (\(members.count) frames)")
            } else {
                var lnReference: String?
                var functions: LocalNormalizationSet?
                if local, let lnKey {
                    lnReference = try ensureLNReference(stack: stack, members: members, key: lnKey)
                    let set = try ensureNormalized(members, reference: lnReference!)
                    // The LN scale is what the integration's frame was multiplied by: its noise there is σ × scale.
                    for (index, function) in zip(members, set.functions) { frames[index].lnScale = function.scales.first }
                    functions = set
                }
                // LN is applied to each band of the registered frames as the integration reads them: no `_n` files.
                try ensureRegistered(members)
                result = try integrate(stack: stack, members: members, inputs: members.map(registeredPath), lnReference: lnReference, local: functions)
                store.release(members.map(registeredPath))
                try cache.store(key, step: "integrate", outputs: [result.master] + result.maps, payload: result)
                summary.count("integrate", computed: 1)
            }
            row.master = result.master
            row.lnReference = result.lnReference
            row.drizzled = result.drizzled
            row.drizzleCoverage = result.drizzleCoverage
            row.rejection = result.rejection
            row.crop = result.crop
            let count = Double(max(1, result.rejectedLowPercent.count))
            row.rejectedLowPercent = result.rejectedLowPercent.reduce(0, +) / count
            row.rejectedHighPercent = result.rejectedHighPercent.reduce(0, +) / count
            row.rejectedLowPercentByChannel = result.rejectedLowPercentByChannel
            row.rejectedHighPercentByChannel = result.rejectedHighPercentByChannel
            for (position, index) in members.enumerated() where position < result.rejectedLowPercent.count {
                frames[index].lnScale = result.lnScales[URL(fileURLWithPath: normalizedPath(index)).lastPathComponent]
                frames[index].rejectedShares = (result.rejectedLowPercent[position], result.rejectedHighPercent[position])
            }
            summary.stacks.append(row)
            try checkStop("integrate")
        }
    }

    /// The stack's LN reference in master/ (`LN_Reference_<stack>`): the best N registered frames, each LN-normalized
    /// to the best one, averaged without rejection (WBPP's build).
    func ensureLNReference(stack: StackID, members: [Int], key: String) throws -> String {
        clock.start("LN reference"); defer { clock.stop() }
        let path = lnReferencePath(stack)
        if cache.intact(key) != nil {
            summary.count("LN reference", reused: 1)
            return path
        }
        try ensureRegistered(members)
        var parameters = ReferenceBuilder.Parameters()
        parameters.best = configuration.normalization.referenceFrames
        parameters.flatten = configuration.normalization.flattenReference
        var builder = ReferenceBuilder(parameters: parameters)
        builder.normalization = configuration.localNormalizationParameters
        // Best first by the weights measured on the calibrated frames (registration does not change them).
        let ranked = members.sorted { integrationWeight($0) > integrationWeight($1) }
        var fwhm: [String: Double] = [:]
        for index in ranked { fwhm[registeredPath(index)] = frames[index].measurement?.fwhm }
        builder.maxMemory = integrationBudget(for: ranked.map(registeredPath))
        builder.frameWorkers = framesInFlight
        let report = try builder.build(paths: ranked.map(registeredPath), source: store.source, ranked: true, fwhm: fwhm, output: path, overwrite: true) { [observer] label, done, total in
            observer.advanced("LN reference: \(label)", done: done, total: total)
        }
        try cache.store(key, step: "lnref", outputs: [path], payload: report)
        summary.count("LN reference", computed: 1)
        log.info("LN reference \(URL(fileURLWithPath: path).lastPathComponent): average of the best \(report.used.count) of \(members.count) frames"
                 + String(format: ", gradient %.2f %%", report.gradientBefore) + (report.gradientAfter.map { String(format: " → %.2f %% after extraction", $0) } ?? ""))
        for note in report.notes { log.info("note: \(note)") }
        return path
    }

    /// The LN functions of `indices`, in order: from the cache, else fitted now on their registered frames. The
    /// normalized frames (`_n`) are written only with `output.keepIntermediates`; the integration applies the
    /// functions band by band instead.
    func ensureNormalized(_ indices: [Int], reference path: String) throws -> LocalNormalizationSet {
        clock.start("normalize"); defer { clock.stop() }
        let keep = configuration.output.keepIntermediates
        let todo = indices.filter { cache.intact(frames[$0].normalizeKey!) == nil || cache.payload(frames[$0].normalizeKey!, as: LocalNormalizationFunction.self) == nil }
        summary.count("normalize", reused: indices.count - todo.count)
        if !todo.isEmpty {
            try ensureRegistered(todo)
            let reference = try LocalNormalizationReference(path: path, image: try ImageFile.read(path), parameters: configuration.localNormalizationParameters)
            if !reference.missing.isEmpty { log.warning("LN reference \(URL(fileURLWithPath: path).lastPathComponent) has \(reference.missing.summary): masked out of the fits") }
            // When the whole stack is normalized now, its common area is gathered on the way (no second read). LN
            // keeps a pixel's data or its lack, so the registered frame's area is the normalized one's.
            let area = todo.count == indices.count ? SharedAutocrop(width: reference.image.width, height: reference.image.height) : nil
            coverage[frames[indices[0]].stack] = area
            let snapshot = frames, journal = self.cache!, log = self.log!, source = store.source
            var outputs: [Int: (String, String)] = [:]
            for index in todo { outputs[index] = (registeredPath(index), normalizedPath(index)) }
            let paths = outputs
            try forEachFrame("normalize", todo) { index in
                let (input, output) = paths[index]!
                let image = try source.read(input)
                let function = try reference.function(for: image, path: input, targetFWHM: snapshot[index].measurement?.fwhm)
                area?.add(image)
                var hashes: [String: String] = [:]
                if keep {
                    var normalized = function.apply(to: image)
                    normalized.sourceSampleFormat = .float32
                    hashes = try Self.writeFrame(normalized, to: output)
                }
                try journal.store(snapshot[index].normalizeKey!, step: "normalize", outputs: keep ? [output] : [], payload: function, hashes: hashes)
                for note in function.notes { log.info("LN \(URL(fileURLWithPath: input).lastPathComponent): \(note)") }
            }
            summary.count("normalize", computed: todo.count)
        }
        let functions = try indices.map { index in
            guard let function = cache.payload(frames[index].normalizeKey!, as: LocalNormalizationFunction.self) else {
                throw PipelineError.cannotWrite(path: folder(.cache), reason: "the LN function of \(frames[index].path) was not recorded")
            }
            return function
        }
        return LocalNormalizationSet(functions: functions)
    }

    func integrate(stack: StackID, members: [Int], inputs: [String], lnReference: String?, local: LocalNormalizationSet?) throws -> StackResult {
        var table: [String: Double] = [:]
        for (index, input) in zip(members, inputs) { table[URL(fileURLWithPath: input).lastPathComponent] = integrationWeight(index) }
        var parameters = configuration.integrationParameters(weights: table)
        parameters.maxMemory = integrationBudget(for: inputs)
        let result = try IntegrationEngine(parameters: parameters).integrate(paths: inputs, source: store.source, local: local, recordRejection: configuration.drizzleParameters != nil) { [observer] label, done, total in
            observer.advanced("integrate: \(label)", done: done, total: total)
        }
        let path = masterLightPath(stack)
        var image = result.image
        let first = frames[members[0]]
        image.metadata.setKeyword(.string("IMAGETYP", "Master Light", comment: "Type of image"))
        image.metadata.imageType = "MasterLight"
        if !first.filter.isEmpty { image.metadata.setKeyword(.string("FILTER", first.filter, comment: "Filter")) }
        image.metadata.addHistory("\(LerarVersion.application) run: stack \(stack.name) of \(members.count) frames" + (lnReference.map { ", LN to \(URL(fileURLWithPath: $0).lastPathComponent)" } ?? ""))
        image.sourceSampleFormat = .float32
        var crop: [Int]?
        if configuration.integration.autocrop {
            let area: SharedAutocrop
            if let gathered = coverage[stack], gathered.count == inputs.count {
                area = gathered
            } else {
                area = SharedAutocrop(width: image.width, height: image.height)
                for input in inputs { area.add(try store.source.read(input)) }
            }
            crop = area.rectangle().map { [$0.x, $0.y, $0.width, $0.height] }
        }
        // The frames held for this stack are done with: their room goes to the writers' buffers (24 × 2048² in
        // memory: the run's heap peak was the master's encoding beside them, heaptrack).
        store.release(inputs)
        let options = ImageWriteOptions(sampleFormat: .float32, overwrite: true)
        try ImageFile.write(image, to: path, options: options)
        let maps = try result.writeRejectionMaps(beside: path, options: options)
        let pixels = Double(image.pixelCount * image.channelCount), perChannel = Double(image.pixelCount * members.count)
        log.info(String(format: "stack %@: %d frames, rejection %@, %.3f %% low / %.3f %% high rejected → %@", stack.name, members.count,
                        result.rejection.rawValue, 100 * Double(result.frames.reduce(0) { $0 + $1.rejectedLow }) / (pixels * Double(members.count)),
                        100 * Double(result.frames.reduce(0) { $0 + $1.rejectedHigh }) / (pixels * Double(members.count)), (path as NSString).lastPathComponent)
                 + (image.channelCount == 3 ? "; per channel R/G/B low " + (0..<3).map { c in String(format: "%.3f", 100 * Double(result.frames.reduce(0) { $0 + $1.rejectedLowByChannel[c] }) / perChannel) }.joined(separator: "/")
                    + " %, high " + (0..<3).map { c in String(format: "%.3f", 100 * Double(result.frames.reduce(0) { $0 + $1.rejectedHighByChannel[c] }) / perChannel) }.joined(separator: "/") + " %" : ""))
        var drizzled: (String, String)?
        if let drizzle = configuration.drizzleParameters {
            drizzled = try timed("drizzle") { try drizzleStack(stack, members: members, result: result, parameters: drizzle, local: lnReference != nil) }
        }
        return StackResult(master: path, maps: maps + (drizzled.map { [$0.0, $0.1] } ?? []), rejection: result.rejection.rawValue,
                           rejectedLowPercent: result.frames.map { 100 * Double($0.rejectedLow) / pixels },
                           rejectedHighPercent: result.frames.map { 100 * Double($0.rejectedHigh) / pixels },
                           rejectedLowPercentByChannel: (0..<image.channelCount).map { c in 100 * Double(result.frames.reduce(0) { $0 + $1.rejectedLowByChannel[c] }) / perChannel },
                           rejectedHighPercentByChannel: (0..<image.channelCount).map { c in 100 * Double(result.frames.reduce(0) { $0 + $1.rejectedHighByChannel[c] }) / perChannel },
                           crop: crop, lnReference: lnReference, lnScales: scales(members, local), drizzled: drizzled?.0, drizzleCoverage: drizzled?.1)
    }

    /// Bytes an integration of `paths` may use for its pixel stacks: the memory budget less the frames held for
    /// other stacks (its own held frames are counted by the integration itself).
    func integrationBudget(for paths: [String]) -> Int {
        let others = store.heldBytes - store.heldBytes(of: paths)
        return max(64 << 20, (configuration.output.memoryBudget << 20) - others)
    }

    /// LN scale per frame, by the name of its normalized frame (`_n`), for the cache's record of a stack.
    func scales(_ members: [Int], _ local: LocalNormalizationSet?) -> [String: Double] {
        guard let local else { return [:] }
        var table: [String: Double] = [:]
        for (index, function) in zip(members, local.functions) { table[URL(fileURLWithPath: normalizedPath(index)).lastPathComponent] = function.scales.first }
        return table
    }

    /// Crops the masters of each panel to the area all their frames cover — one rectangle per panel, so the
    /// filters stay aligned for colour combination — as `<master>_autocrop`.
    func autocropPanels() throws {
        guard configuration.integration.autocrop else { return }
        for panel in Set(summary.stacks.map(\.panel)).sorted() {
            let rows = summary.stacks.indices.filter { summary.stacks[$0].panel == panel && summary.stacks[$0].master != nil && summary.stacks[$0].crop != nil }
            guard !rows.isEmpty else { continue }
            let boxes = rows.map { summary.stacks[$0].crop! }
            let x0 = boxes.map { $0[0] }.max()!, y0 = boxes.map { $0[1] }.max()!
            let x1 = boxes.map { $0[0] + $0[2] }.min()!, y1 = boxes.map { $0[1] + $0[3] }.min()!
            guard x1 > x0, y1 > y0 else { log.warning("panel \(panel): the stacks share no common area; not cropped"); continue }
            let rectangle = [x0, y0, x1 - x0, y1 - y0]
            for row in rows {
                let master = summary.stacks[row].master!
                let output = OutputLayout.path(of: master, adding: .autocropped, extension: configuration.output.format, in: (master as NSString).deletingLastPathComponent)
                let key = StepCache.key("autocrop", [StepCache.identity(master), rectangle.map(String.init).joined(separator: ",")])
                if cache.intact(key) == nil {
                    var image = try ImageFile.read(master).cropped(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
                    image.metadata.addHistory("\(LerarVersion.application) run: autocrop to x=\(x0) y=\(y0) \(x1 - x0)×\(y1 - y0) (common area of panel \(panel))")
                    try ImageFile.write(image, to: output, options: ImageWriteOptions(sampleFormat: .float32, overwrite: true))
                    try cache.store(key, step: "autocrop", outputs: [output])
                    summary.count("autocrop", computed: 1)
                } else {
                    summary.count("autocrop", reused: 1)
                }
                summary.stacks[row].autocropped = output
                summary.stacks[row].crop = rectangle
            }
            log.info("panel \(panel): masters cropped to x=\(x0) y=\(y0) \(x1 - x0)×\(y1 - y0)")
        }
    }

    /// A frame's weight in ranking (LN reference) and integration, as `integration.weights` asks. `psf-snr`: the SNR²
    /// of its stars once normalized, 1 / (σ · LN scale)² — σ the wavelet noise of the registered frame, the LN scale
    /// fitted on star photometry — i.e. the inverse variance of the frame as integrated, which maximises the stack's
    /// SNR; before LN (ranking the LN reference) the matched stars' flux scale stands for the LN scale.
    func integrationWeight(_ index: Int) -> Double {
        guard let m = frames[index].measurement else { return 0 }
        if configuration.integration.weights == .psfSNR {
            let noise = frames[index].registration?.pixelNoise ?? m.noise
            guard noise > 0 else { return 0 }
            // Normalized by LN: noise × LN scale; else (and for ranking before LN) the matched stars' flux scale.
            let normalizedNoise = frames[index].lnScale.map { noise * $0 } ?? noise / (frames[index].registration?.fluxScale ?? 1)
            let weight = 1 / (normalizedNoise * normalizedNoise)
            return weight.isFinite ? weight : 0
        }
        return m.weight
    }

    /// The per-frame table of the summary.
    func frameRows() -> [RunSummary.Frame] {
        var best: [StackID: Double] = [:]
        var bestSelection: [StackID: Double] = [:]
        for index in frames.indices {
            // The integration weight is relative to the best frame integrated; frames rejected before it have none.
            if frames[index].rejection == nil { best[frames[index].stack] = max(best[frames[index].stack] ?? 0, integrationWeight(index)) }
            bestSelection[frames[index].stack] = max(bestSelection[frames[index].stack] ?? 0, frames[index].measurement?.weight ?? 0)
        }
        return frames.indices.map { index in
            let f = frames[index], m = f.measurement
            var row = RunSummary.Frame(path: f.path, stack: f.stack.name, filter: f.filter, panel: f.panel.description, date: f.date)
            row.stars = m?.stars
            row.fwhm = m?.fwhm
            row.eccentricity = m?.eccentricity
            row.snr = m?.snr
            row.weight = m.flatMap { _ in f.rejection != nil ? nil : (best[f.stack] ?? 0) > 0 ? integrationWeight(index) / best[f.stack]! : 0 }
            row.selectionWeight = m.map { m in (bestSelection[f.stack] ?? 0) > 0 ? m.weight / bestSelection[f.stack]! : 0 }
            row.background = m?.background
            row.registrationRMS = f.registration?.rms
            row.lnScale = f.lnScale
            row.accepted = f.rejection == nil
            row.rejection = f.rejection
            if let shares = f.rejectedShares { row.rejectedLowPercent = shares.low; row.rejectedHighPercent = shares.high }
            return row
        }
    }
}

/// An `Autocrop` filled from parallel loops.
final class SharedAutocrop: @unchecked Sendable {
    private var area: Autocrop
    private let lock = NSLock()
    private(set) var count = 0

    init(width: Int, height: Int) { area = Autocrop(width: width, height: height) }

    func add(_ image: Image) { lock.withLock { area.add(image); count += 1 } }

    func rectangle() -> (x: Int, y: Int, width: Int, height: Int)? { lock.withLock { area.rectangle() } }
}
