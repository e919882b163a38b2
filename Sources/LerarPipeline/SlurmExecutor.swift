import Foundation
import LerarCore
import LerarIO

/// `lerar run --executor slurm`: the run's plan submitted as one job array per level, each level after the one
/// before it (`--dependency=afterok`), every task a `lerar step` on the shared output folder. It holds the output
/// folder's lock while it follows the jobs, shows their progress, stops at the first failed task with the end of its
/// log (cancelling the rest), cancels everything on Ctrl-C, and resumes like a local run: steps in the cache are not
/// submitted again.
public final class SlurmExecutor {
    public struct Options: Sendable {
        public var partition: String?
        /// Most array tasks per level.
        public var maxArray = PipelineRunner.Chunking().maxTasks
        /// Fewest per-frame steps per array task.
        public var framesPerTask = PipelineRunner.Chunking().minimumFramesPerTask
        /// More sbatch options, as given (`--time=2:00:00`, `--mem=8G`, `--cpus-per-task=4`).
        public var sbatchArguments: [String] = []
        /// Cores for each task of the per-stack levels (LN references, integration): a stack's frames are integrated in
        /// one task, so on a large stack it pays to give that task a whole node. Nil: as the other tasks.
        public var stackCores: Int?
        /// lerar as the nodes run it (the same path on every node).
        public var executable: String
        /// Seconds between looks at the queue.
        public var pollInterval = 0.5

        public init(executable: String) { self.executable = executable }
    }

    /// One submitted level, s from the start: when it was submitted, when it started (the last look that found all its
    /// tasks waiting), when it was seen finished; to the polling interval (for the overhead figures).
    public struct LevelTiming: Sendable, Codable {
        public var level: Int, name: String, job: String, tasks: Int
        public var submitted: Double
        public var firstStarted: Double?, finished: Double?
    }

    let run: PipelineRunner.Options
    let slurm: Options
    let observer: any PipelineObserver
    let client = SlurmClient()
    public private(set) var timings: [LevelTiming] = []

    public init(run: PipelineRunner.Options, slurm: Options, observer: any PipelineObserver = SilentObserver()) {
        var run = run
        run.roots = run.roots.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        run.output = URL(fileURLWithPath: run.output).standardizedFileURL.path
        self.run = run
        self.slurm = slurm
        self.observer = observer
    }

    var folder: String { (run.output as NSString).appendingPathComponent("slurm") }

    /// Plans, submits, follows; returns the summary the last step wrote, with what the steps computed.
    public func execute() throws -> RunSummary {
        let start = Date()
        for root in run.roots where OutputFolder.contains(root, run.output) || OutputFolder.contains(run.output, root) {
            throw OutputFolder.contains(root, run.output) ? PipelineError.outputInsideInput(run.output) : PipelineError.inputInsideOutput(input: root, output: run.output)
        }
        let lock = try OutputFolder(path: run.output, command: "lerar run --executor slurm " + run.roots.joined(separator: " "))
        defer { withExtendedLifetime(lock) {} }
        try OutputFolder.create((folder as NSString).appendingPathComponent("logs"))
        let log = try RunLog(path: try PipelineRunner.uniqueFile(in: (run.output as NSString).appendingPathComponent("logs"),
                                                                 stem: "run-\(PipelineRunner.fileStamp(start))-slurm", extension: "log"), observer: observer)
        cancelEarlierJobs(log)
        // No step of this folder runs now: what killed steps left (temporaries, half-built masters) can go.
        for name in lock.removeLeftovers() { log.info("removed \(name), left behind by an earlier run that was stopped") }

        var planning = run
        planning.scope = .plan
        let plan = try PipelineRunner(options: planning, observer: observer).makePlan(chunking: .init(maxTasks: slurm.maxArray, minimumFramesPerTask: slurm.framesPerTask))
        let planPath = (folder as NSString).appendingPathComponent("plan.json")
        try plan.write(to: planPath)
        log.info("plan: \(plan.steps.count) steps in \(plan.levels.count) levels → \(planPath)")
        let before = Self.recordCounts(in: (run.output as NSString).appendingPathComponent("cache"))

        // Every level at once, each after the one before: Slurm starts a level as soon as the last one ends.
        var submitted: [(level: ExecutionPlan.Level, job: String, tasks: [Int])] = []
        do {
            for level in plan.levels {
                let open = plan.openTasks(level)
                guard !open.isEmpty else { log.info("level \(level.index) \(level.name): done (cache)"); continue }
                let script = try writeScript(level, plan: planPath)
                var arguments = ["--array=\(SlurmClient.arrayList(open))", "--job-name=lerar-\(level.index)-\(level.kind.rawValue)",
                                 "--output=" + (folder as NSString).appendingPathComponent("logs/level-\(level.index)-%A_%a.log"),
                                 "--chdir=\(run.output)", "--kill-on-invalid-dep=yes"]
                if let previous = submitted.last { arguments.append("--dependency=afterok:\(previous.job)") }
                if let partition = slurm.partition { arguments.append("--partition=\(partition)") }
                arguments += slurm.sbatchArguments
                if let cores = slurm.stackCores, level.kind == .lnReference || level.kind == .integrate { arguments.append("--cpus-per-task=\(cores)") }
                let job = try client.submit(script, arguments: arguments)
                submitted.append((level, job, open))
                timings.append(LevelTiming(level: level.index, name: level.name, job: job, tasks: open.count, submitted: Date().timeIntervalSince(start)))
                try recordJobs(submitted.map(\.job))
                log.info("level \(level.index) \(level.name): job array \(job), \(open.count) tasks (\(plan.openSteps(level)) steps to do)")
            }
        } catch {
            client.cancel(submitted.map(\.job))
            throw error
        }

        try follow(submitted, start: start, log: log)
        try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent("jobs.json"))
        let timeline = JSONEncoder()
        timeline.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFileWriter.write(try timeline.encode(timings), to: (folder as NSString).appendingPathComponent("timeline.json"), overwrite: true)

        var summary = try RunSummary.read((run.output as NSString).appendingPathComponent("report/summary.json"))
        let after = Self.recordCounts(in: (run.output as NSString).appendingPathComponent("cache"))
        for index in summary.stages.indices {
            let stage = summary.stages[index].stage
            let computed = Self.steps(of: stage).reduce(0) { $0 + (after[$1] ?? 0) - (before[$1] ?? 0) }
            let total = summary.stages[index].computed + summary.stages[index].reused
            summary.stages[index].computed = max(computed, summary.stages[index].computed)
            summary.stages[index].reused = max(0, total - summary.stages[index].computed)
        }
        // The closing line's time per stage: each level's wall time on the cluster, first task to last (the final
        // level's under "finish": autocrop, finish and report).
        var levelSeconds: [String: Double] = [:], order: [String] = []
        for timing in timings {
            guard let first = timing.firstStarted, let last = timing.finished, let level = plan.levels.first(where: { $0.index == timing.level }) else { continue }
            let stage = Self.stage(of: level.kind)
            if levelSeconds[stage] == nil { order.append(stage) }
            levelSeconds[stage, default: 0] += last - first
        }
        // In the levels' order; the final step's own stages (link, report) are inside its level's time.
        let untimed = summary.stages.filter { levelSeconds[$0.stage] == nil }.map { row in var row = row; row.seconds = nil; return row }
        summary.stages = untimed + order.map { stage in
            var row = summary.stages.first { $0.stage == stage } ?? RunSummary.StageCount(stage: stage)
            row.seconds = levelSeconds[stage]
            return row
        }
        summary.seconds = Date().timeIntervalSince(start)
        summary.log = log.path
        log.info(String(format: "finished in %.1f s on Slurm: %d items computed", summary.seconds, summary.computed))
        return summary
    }

    /// The batch script of a level: one array task runs `lerar step` on its share, with the cores Slurm gave it.
    func writeScript(_ level: ExecutionPlan.Level, plan: String) throws -> String {
        let path = (folder as NSString).appendingPathComponent("level-\(level.index)-\(level.kind.rawValue).sh")
        let script = """
        #!/bin/sh
        # Level \(level.index) (\(level.name)) of the lerar plan \(plan): one array task per share of its steps.
        export LERAR_CORES="${SLURM_CPUS_PER_TASK:-${SLURM_CPUS_ON_NODE:-}}"
        exec \(Self.quote(slurm.executable)) step --plan \(Self.quote(plan)) --level \(level.index) --task "$SLURM_ARRAY_TASK_ID"

        """
        try AtomicFileWriter.write(Data(script.utf8), to: path, overwrite: true)
        chmod(path, 0o755)
        return path
    }

    /// Waits for every submitted task; throws at the first failure (after cancelling the rest) or on Ctrl-C.
    func follow(_ submitted: [(level: ExecutionPlan.Level, job: String, tasks: [Int])], start: Date, log: RunLog) throws {
        let jobs = submitted.map(\.job)
        var finished = Set<String>()
        var unknownSince: [String: Date] = [:]
        var lastSeenWaiting: [String: Double] = [:]
        for entry in submitted { observer.stageStarted("slurm: \(entry.level.name)", total: entry.tasks.count) }
        while finished.count < submitted.count {
            if observer.shouldStop() {
                client.cancel(jobs)
                log.warning("interrupted: cancelled jobs \(jobs.joined(separator: ", ")); finished steps are cached")
                throw PipelineError.interrupted("the Slurm jobs (cancelled)")
            }
            for (position, entry) in submitted.enumerated() where !finished.contains(entry.job) {
                guard let states = try client.tasks(of: entry.job) else {
                    // A job Slurm forgot (its MinJobAge passed without accounting) is an error only if it stays so.
                    let since = unknownSince[entry.job] ?? Date()
                    unknownSince[entry.job] = since
                    if Date().timeIntervalSince(since) > 30 {
                        client.cancel(jobs)
                        throw PipelineError.stepFailed(step: "job \(entry.job) (level \(entry.level.name))", log: "Slurm no longer knows the job and has no accounting of it")
                    }
                    continue
                }
                let now = Date().timeIntervalSince(start)
                if timings[position].firstStarted == nil {
                    // It started after the last look that found it all waiting: a level shorter than the polling
                    // interval would otherwise read as taking no time.
                    if states.values.contains(where: { $0 != .waiting }) { timings[position].firstStarted = lastSeenWaiting[entry.job] ?? timings[position].submitted } else {
                        lastSeenWaiting[entry.job] = now
                    }
                }
                if let failed = states.sorted(by: { $0.key < $1.key }).first(where: { if case .failed = $0.value { true } else { false } }) {
                    client.cancel(jobs)
                    let logPath = (folder as NSString).appendingPathComponent("logs/level-\(entry.level.index)-\(entry.job)_\(failed.key).log")
                    let steps = entry.level.tasks[failed.key].count
                    let state: String = if case .failed(let name) = failed.value { name } else { "" }
                    log.error("level \(entry.level.name): task \(failed.key) (\(steps) steps) ended \(state); log \(logPath); cancelled the other jobs")
                    throw PipelineError.stepFailed(step: "level \(entry.level.index) (\(entry.level.name)), array task \(failed.key) of job \(entry.job): \(state); its log is \(logPath)",
                                                   log: Self.tail(logPath))
                }
                let done = entry.tasks.filter { states[$0] == .completed }.count
                observer.advanced("slurm: \(entry.level.name)", done: done, total: entry.tasks.count)
                if done == entry.tasks.count {
                    finished.insert(entry.job)
                    timings[position].finished = now
                    log.info(String(format: "level %@: %d tasks done, %.1f s after submission", entry.level.name, done, now - timings[position].submitted))
                }
            }
            if finished.count < submitted.count { Thread.sleep(forTimeInterval: slurm.pollInterval) }
        }
    }

    /// Jobs of an earlier run of this folder that is gone (its lock is ours now) but left jobs queued: cancelled, so
    /// two runs never write the same folder.
    func cancelEarlierJobs(_ log: RunLog) {
        let path = (folder as NSString).appendingPathComponent("jobs.json")
        guard let data = FileManager.default.contents(atPath: path), let jobs = try? JSONDecoder().decode([String].self, from: data), !jobs.isEmpty else { return }
        client.cancel(jobs)
        log.info("cancelled jobs \(jobs.joined(separator: ", ")) left by an earlier run of this folder")
        // Their tasks get KillWait seconds to end; wait for them, so none writes beside this run.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, jobs.contains(where: { job in
            (try? client.tasks(of: job))??.values.contains { $0 == .running || $0 == .waiting } ?? false
        }) {
            Thread.sleep(forTimeInterval: slurm.pollInterval)
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    func recordJobs(_ jobs: [String]) throws {
        try AtomicFileWriter.write(try JSONEncoder().encode(jobs), to: (folder as NSString).appendingPathComponent("jobs.json"), overwrite: true)
    }

    /// Journal records per step name in a cache folder.
    static func recordCounts(in cache: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for record in StepCache.allRecords(in: cache) { counts[record.step, default: 0] += 1 }
        return counts
    }

    /// The journal's step names behind a summary stage.
    static func steps(of stage: String) -> [String] {
        switch stage {
        case "masters": ["master"]
        case "LN reference": ["lnref"]
        default: [stage]
        }
    }

    /// The summary stage a level's work is counted under.
    static func stage(of kind: ExecutionPlan.Kind) -> String {
        switch kind {
        case .master: "masters"
        case .calibrate: "calibrate"
        case .register: "register"
        case .lnReference: "LN reference"
        case .normalize: "normalize"
        case .integrate: "integrate"
        case .final: "finish"
        }
    }

    /// The last lines of a file (a task's log).
    static func tail(_ path: String, lines: Int = 30) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "(no log at \(path))" }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// A word for sh: single-quoted.
    static func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
