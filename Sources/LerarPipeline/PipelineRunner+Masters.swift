import Foundation
import LerarCalibration
import LerarIO

/// The calibration masters of a run: keyed, taken from the cache or built (a step builds only its own share).
extension PipelineRunner {
    /// The masters the processed lights need: from the cache, else built now (a step builds only its own).
    func buildMasters() throws {
        // master/ holds the LN references and stacks too, also when every master was pre-built.
        try OutputFolder.create(folder(.master))
        var builder = MasterBuilder(plan: plan, outputFolder: folder(.master))
        builder.overwrite = true
        builder.overscan = configuration.calibration.overscan
        var groups = keyMasters()
        if case .masters(let ids) = options.scope {
            // A master step builds its own masters; of the others only those they need (a flat's dark-flat), done before.
            let upstream = Set(groups.filter { ids.contains($0.id) }.compactMap { builder.flatCalibrationGroup($0) })
            groups = groups.filter { ids.contains($0.id) || upstream.contains($0.id) }
        }
        let upToDate = { (group: FrameGroup) in self.cache.intact(self.masterKeys[group.id]!).flatMap { _ in self.cache.payload(self.masterKeys[group.id]!, as: MasterBuilder.Built.self) } }
        let todo = groups.filter { upToDate($0) == nil }.count
        observer.stageStarted("masters", total: todo)
        var done = 0
        for group in groups {
            let key = masterKeys[group.id]!
            if let built = upToDate(group) {
                masters[group.id] = built
                summary.count("masters", reused: 1)
                log.info("master \(URL(fileURLWithPath: built.path).lastPathComponent): up to date")
            } else if !mayCompute(.masters, group.id) {
                throw PipelineError.stepNotReady("the master of \(group.id) is not built (or its file changed since)")
            } else {
                let built = try builder.build(group, built: masters)
                masters[group.id] = built
                try cache.store(key, step: "master", outputs: group.isMaster ? [] : [built.path], payload: built)
                summary.count("masters", computed: 1)
                log.info("master \(URL(fileURLWithPath: built.path).lastPathComponent): \(built.frames) frames, rejection \(built.rejection)")
                done += 1
                observer.advanced("masters", done: done, total: todo)
            }
            try checkStop("masters")
        }
        summary.masters = groups.compactMap { masters[$0.id] }.map { .init(group: $0.group, path: $0.path, frames: $0.frames, rejection: $0.rejection) }
    }

    /// The calibration groups whose masters the processed lights use, in build order, each keyed in `masterKeys` by its
    /// members and parameters (and the master that calibrates it, for flats). Only what a processed light uses: its
    /// masters as the calibrator takes them (the bias only for a scaled or optimised dark, or without a dark), and its
    /// flat's dark-flat.
    @discardableResult
    func keyMasters() -> [FrameGroup] {
        var builder = MasterBuilder(plan: plan, outputFolder: folder(.master))
        builder.overscan = configuration.calibration.overscan
        let calibration = configuration.calibrationParameters
        var needed = Set<String>()
        for links in plan.lights where usable(links) {
            let used = SessionCalibrator.usedMasters(links, parameters: calibration) + (links.flatCalibration.map { [$0] } ?? [])
            needed.formUnion(used.filter { $0.status != .missing }.compactMap(\.group))
        }
        let groups = MasterBuilder.buildOrder(plan).filter { needed.contains($0.id) }
        // In build order, so a flat's key can include its dark-flat's.
        for group in groups {
            let parameters = group.type == .flat ? builder.flatParameters : builder.biasDarkParameters
            let upstream = group.type == .flat ? builder.flatCalibrationGroup(group).flatMap { masterKeys[$0] } ?? "none" : "none"
            masterKeys[group.id] = StepCache.key("master", group.members.map(StepCache.identity) + [StepCache.describe(parameters), upstream, group.type.rawValue,
                                                                                                 "overscan \(builder.overscan) \(builder.overscanSmoothing)"])
        }
        return groups
    }

    /// Whether this process may compute `item` of `stage` (a master's group id, a light's path, a stack's name): always
    /// in a whole run; in a step only its own share.
    func mayCompute(_ stage: RunStage, _ item: String) -> Bool {
        switch (options.scope, stage) {
        case (.all, _): true
        case (.masters(let ids), .masters): ids.contains(item)
        case (.calibrate(let paths), .calibrate): paths.contains(item)
        case (.register(let paths), .register): paths.contains(item)
        default: false
        }
    }
}
