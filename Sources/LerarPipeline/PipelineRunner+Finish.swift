import Foundation
import LerarCalibration
import LerarCore
import LerarIO
import LerarPostProcessing

/// The finish stage: per panel with R, G and B stacks (and L if any) or a colour stack, the colour image in final/.
extension PipelineRunner {
    func finishPanels() throws {
        guard configuration.finish.mode == .auto else { return }
        let panels = Set(summary.stacks.map(\.panel)).sorted()
        for panel in panels {
            // The stack with most frames takes a role (two L stacks of different exposures: the deeper one).
            let stacks = summary.stacks.filter { $0.panel == panel && $0.master != nil }.sorted { $0.frames > $1.frames }
            var roles: [String: RunSummary.Stack] = [:]
            for stack in stacks {
                let channels = (try? ImageFile.readHeader(stack.master!))?.channelCount ?? 1
                let role = channels == 3 ? "RGB" : FinishRoles.role(filter: stack.filter)
                if let role, roles[role] == nil { roles[role] = stack }
            }
            let mono = roles["R"] != nil && roles["G"] != nil && roles["B"] != nil
            guard mono || roles["RGB"] != nil else {
                if !roles.isEmpty && roles.keys.contains(where: { ["R", "G", "B"].contains($0) }) {
                    log.info("panel \(panel): no colour finish: it needs R, G and B stacks (has \(roles.keys.sorted().joined(separator: ", ")))")
                }
                continue
            }
            let used = mono ? ["L", "R", "G", "B"].filter { roles[$0] != nil } : ["RGB"]
            let inputs = Dictionary(uniqueKeysWithValues: used.map { ($0, roles[$0]!.master!) })
            // The PSF comes from the LN reference of what is deconvolved: L's, or R's, G's and B's averaged.
            let psfRoles = roles["L"] != nil && mono ? ["L"] : used
            let psfReferences = psfRoles.compactMap { roles[$0]?.lnReference }.filter { FileManager.default.fileExists(atPath: $0) }
            let target = panels.count > 1 ? (folder(.final) as NSString).appendingPathComponent(LinkFormatting.safe(panel)) : folder(.final)
            let key = StepCache.key("finish", used.map { StepCache.identity(inputs[$0]!) } + psfReferences.map(StepCache.identity)
                                    + [StepCache.describe(configuration.finish), target])
            if cache.intact(key) != nil, let record = cache.payload(key, as: FinishRecord.self) {
                summary.finishes.append(record)
                summary.count("finish", reused: 1)
                log.info("panel \(panel): finish up to date (\(URL(fileURLWithPath: target).lastPathComponent)/)")
                continue
            }
            do {
                let finishInputs = try FinishRoles.readInputs(inputs, psfReferences: psfReferences)
                var done = 0
                let products = try Finisher.run(finishInputs, parameters: configuration.finish.parameters) { [observer] step in
                    observer.advanced("finish: \(step)", done: done, total: 10)
                    done += 1
                }
                let record = try FinishFiles.write(products, to: target, panel: panel, inputs: inputs, psfReferences: psfReferences)
                try cache.store(key, step: "finish", outputs: record.outputs, payload: record)
                summary.finishes.append(record)
                summary.count("finish", computed: 1)
                for step in record.steps { log.info(String(format: "panel %@ finish: %@ (%.2f s): %@", panel, step.name, step.seconds, step.detail)) }
                // A skipped step (no stars for the colour or the PSF) is a warning: the image is not what the defaults promise.
                for note in record.notes {
                    if note.contains("skipped") { log.warning("panel \(panel) finish: \(note)") } else { log.info("panel \(panel) finish: note: \(note)") }
                }
                log.info("panel \(panel): finished \(used.joined()) → \(record.outputs.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", "))")
            } catch let error as PostProcessingError {
                // The linear masters stand; the colour image could not be made from them.
                log.warning("panel \(panel): no colour finish: \(error)")
            }
            try checkStop("finish")
        }
    }
}
