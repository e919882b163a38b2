import Foundation
import LerarCalibration
import LerarCore
import LerarIO
import LerarRegistration

/// `lerar plan` and `lerar step`: the run as levels of steps with the run's cache keys, and one level's share of it.
extension PipelineRunner {
    /// How a plan's levels are cut into array tasks.
    public struct Chunking: Sendable {
        /// At most this many tasks per level (Slurm's MaxArraySize is 1001 by default).
        public var maxTasks = 1000
        /// Per-frame steps per task at least (each task starts lerar and reads the plan once).
        public var minimumFramesPerTask = 1
        public init(maxTasks: Int = 1000, minimumFramesPerTask: Int = 1) {
            self.maxTasks = maxTasks
            self.minimumFramesPerTask = minimumFramesPerTask
        }
    }

    /// Links and keys the run (options.scope must be `.plan`), resolves the keys that depend on results already in
    /// the cache, and returns the steps in levels; computes nothing.
    public func makePlan(chunking: Chunking = Chunking()) throws -> ExecutionPlan {
        precondition(options.scope == .plan, "makePlan needs a runner made with scope .plan")
        try openRun(Date())
        try link()
        try prepareFrames()
        var steps: [ExecutionPlan.Step] = []
        var levels: [ExecutionPlan.Level] = []
        func status(_ key: String?, record: Bool = false) -> ExecutionPlan.Status {
            guard let key else { return .waiting }
            return (record ? cache.record(key) != nil : cache.intact(key) != nil) ? .done : .pending
        }
        func addLevel(_ name: String, _ kind: ExecutionPlan.Kind, _ ids: [String], perFrame: Bool) {
            guard !ids.isEmpty else { return }
            let tasks = ExecutionPlan.chunk(ids, maxTasks: chunking.maxTasks, minimumPerTask: perFrame ? chunking.minimumFramesPerTask : 1)
            levels.append(.init(index: levels.count, name: name, kind: kind, afterLevels: levels.isEmpty ? [] : [levels.count - 1], tasks: tasks))
        }

        // Masters: a flat waits for the dark-flat (or bias) it is calibrated with.
        let groups = keyMasters()
        let builder = MasterBuilder(plan: plan, outputFolder: folder(.master))
        var masterStep: [String: String] = [:]
        var masterLevels: [[String]] = [[], []]
        for group in groups where !group.isMaster {
            let key = masterKeys[group.id]!
            let upstream = group.type == .flat ? builder.flatCalibrationGroup(group).flatMap { masterStep[$0] } : nil
            let output = (folder(.master) as NSString).appendingPathComponent(MasterBuilder.masterName(group, among: plan.groups))
            steps.append(.init(id: key, kind: .master, label: group.id, cacheKey: key, inputs: group.members, outputs: [output],
                               after: upstream.map { [$0] } ?? [], status: status(key)))
            masterStep[group.id] = key
            masterLevels[upstream == nil ? 0 : 1].append(key)
        }
        addLevel("masters", .master, masterLevels[0], perFrame: false)
        addLevel("flat masters", .master, masterLevels[1], perFrame: false)

        // Calibration and measurement, per light: its key is known now.
        let calibration = configuration.calibrationParameters
        for frame in frames {
            let used = plan.lights.first { $0.lightGroup == frame.lightGroup }.map { SessionCalibrator.usedMasters($0, parameters: calibration) } ?? []
            steps.append(.init(id: frame.calibrateKey, kind: .calibrate, label: frame.path, cacheKey: frame.calibrateKey, inputs: [frame.path],
                               outputs: [frame.calibrated], after: used.compactMap(\.group).compactMap { masterStep[$0] },
                               status: status(frame.measureKey, record: true)))
        }
        addLevel("calibrate", .calibrate, frames.map(\.calibrateKey), perFrame: true)

        // Registration: its key needs the panel's reference, chosen from every light's measurement.
        let measured = frames.allSatisfy { cache.payload($0.measureKey, as: FrameMeasurement.self) != nil }
        if measured {
            for index in frames.indices { frames[index].measurement = cache.payload(frames[index].measureKey, as: FrameMeasurement.self) }
            select()
            try chooseRegistrationReferences()
        }
        var registerIDs: [String] = []
        for index in frames.indices {
            let frame = frames[index]
            let id = StepCache.key("plan-register", [frame.calibrateKey])
            registerIDs.append(id)
            let key = measured ? frame.registerKey : nil
            let skipped = measured && key == nil
            steps.append(.init(id: id, kind: .register, label: frame.path, cacheKey: key, inputs: [frame.calibrated], outputs: skipped ? [] : [registeredPath(index)],
                               after: [frame.calibrateKey], status: skipped ? .done : status(key, record: true)))
        }
        addLevel("register", .register, registerIDs, perFrame: true)

        // Per stack: LN reference, LN functions per light, integration; their keys need the registrations' results.
        let registered = measured && frames.indices.allSatisfy { frames[$0].registerKey == nil || cache.record(frames[$0].registerKey!) != nil }
        if registered {
            for index in frames.indices where frames[index].registerKey != nil { takeRegistration(index) }
        }
        let local = configuration.normalization.method == .local
        var lnIDs: [String] = [], normalizeIDs: [String] = [], integrateIDs: [String] = []
        var skippedStacks = Set<StackID>()
        for stack in orderedStacks() {
            var work = registered ? stackWork(stack) : nil
            // Too few frames left to integrate: the stack's steps have nothing to do (the run logs why).
            if let members = work?.members, members.count < configuration.integration.minimumFrames { work = nil; skippedStacks.insert(stack) }
            let light = frames.indices.filter { frames[$0].stack == stack }
            let base = light.map { frames[$0].calibrateKey }
            let registers = light.map { registerIDs[$0] }
            var integrateAfter = registers
            if local {
                let lnID = StepCache.key("plan-lnref", [stack.name] + base)
                lnIDs.append(lnID)
                steps.append(.init(id: lnID, kind: .lnReference, label: stack.name, cacheKey: work?.lnKey, inputs: light.map(registeredPath),
                                   outputs: [lnReferencePath(stack)], after: registers, status: skippedStacks.contains(stack) ? .done : work.map { status($0.lnKey) } ?? .waiting))
                integrateAfter = []
                for index in light {
                    let id = StepCache.key("plan-normalize", [frames[index].calibrateKey])
                    normalizeIDs.append(id)
                    integrateAfter.append(id)
                    let accepted = work?.members.contains(index) ?? true
                    let key = accepted ? frames[index].normalizeKey : nil
                    steps.append(.init(id: id, kind: .normalize, label: frames[index].path, cacheKey: work == nil ? nil : key,
                                       inputs: [registeredPath(index), lnReferencePath(stack)], outputs: [], after: [lnID],
                                       status: skippedStacks.contains(stack) ? .done : work == nil ? .waiting : accepted ? status(key) : .done))
                }
            }
            let id = StepCache.key("plan-integrate", [stack.name] + base)
            integrateIDs.append(id)
            steps.append(.init(id: id, kind: .integrate, label: stack.name, cacheKey: work?.integrateKey, inputs: light.map(registeredPath),
                               outputs: [masterLightPath(stack)], after: integrateAfter, status: skippedStacks.contains(stack) ? .done : work.map { status($0.integrateKey) } ?? .waiting))
        }
        addLevel("LN references", .lnReference, lnIDs, perFrame: false)
        addLevel("normalize", .normalize, normalizeIDs, perFrame: true)
        addLevel("integrate", .integrate, integrateIDs, perFrame: false)
        // Autocrop, finish and report: cheap, and they need every stack.
        let finalID = StepCache.key("plan-final", integrateIDs)
        steps.append(.init(id: finalID, kind: .final, label: "autocrop, finish, report", cacheKey: nil,
                           inputs: orderedStacks().map(masterLightPath), outputs: [folder(.final), (folder(.report) as NSString).appendingPathComponent("index.html")],
                           after: integrateIDs, status: .pending))
        addLevel("finish and report", .final, [finalID], perFrame: false)
        let stamp = ISO8601DateFormatter().string(from: Date())
        return ExecutionPlan(lerar: LerarVersion.application, created: stamp, roots: options.roots, output: output,
                             configuration: try PipelineConfigurationFile.yaml(configuration), link: plan, levels: levels, steps: steps)
    }

    /// Runs the steps `ids` of `plan` (all of one level) as `lerar step` does: idempotent, through the cache.
    public static func runSteps(_ ids: [String], of executionPlan: ExecutionPlan, observer: any PipelineObserver = SilentObserver()) throws -> RunSummary {
        var kinds = Set<ExecutionPlan.Kind>(), labels = Set<String>()
        for id in ids {
            guard let step = executionPlan.step(matching: id) else {
                throw PipelineError.badConfiguration(path: nil, reason: "no step \(id) in the plan, or more than one starting so (`lerar plan -v` lists them)")
            }
            kinds.insert(step.kind)
            labels.insert(step.label)
        }
        guard kinds.count == 1, let kind = kinds.first else {
            throw PipelineError.badConfiguration(path: nil, reason: "give steps of one kind at a time (these are \(kinds.map(\.rawValue).sorted().joined(separator: ", ")))")
        }
        var options = Options(roots: executionPlan.roots, output: executionPlan.output,
                              configuration: try PipelineConfigurationFile.parse(executionPlan.configuration))
        options.scope = kind.scope(labels)
        options.linkPlan = executionPlan.link
        return try PipelineRunner(options: options, observer: observer).run()
    }
}
