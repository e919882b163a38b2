import ArgumentParser
import Foundation
import LerarPipeline

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show `lerar run` as a graph of steps in levels, with its cache keys; compute nothing.",
        discussion: """
        The levels are what `lerar run --executor slurm` submits, one job array each: the masters (flats after the
        dark-flats they need), each light's calibration and measurement, each light's registration, each stack's LN
        reference, each light's LN functions, each stack's integration, and the autocrop, finish and report. A step's
        status is done (in the cache of OUTPUT), pending, or waiting: its cache key depends on results of an earlier
        level (the registration reference, the frames' weights) and appears once they are in the cache. --json prints
        the plan (schema lerar.plan, docs/plan.md); `lerar step ID --plan FILE` runs one of its steps.
        """
    )

    @Argument(help: "Folders (or files) of lights, darks, flats, dark-flats and bias.", completion: .directory)
    var roots: [String] = []

    @Option(name: .shortAndLong, help: "Output folder of the run (its cache says which steps are done).")
    var output: String

    @Option(help: "Configuration file (YAML or JSON), as for `lerar run`.", completion: .file(extensions: ["yaml", "yml", "json"]))
    var config: String?

    @Option(help: "Most array tasks per level (Slurm's MaxArraySize is 1001 by default).")
    var maxArray = PipelineRunner.Chunking().maxTasks

    @Option(help: "Fewest per-frame steps in one array task.")
    var framesPerTask = PipelineRunner.Chunking().minimumFramesPerTask

    @Flag(help: "Print the plan as JSON (schema lerar.plan) on stdout.")
    var json = false

    @Flag(name: .shortAndLong, help: "List every step, not only the levels.")
    var verbose = false

    func validate() throws {
        guard !roots.isEmpty else { throw ValidationError("give the folders to plan") }
        guard maxArray >= 1, framesPerTask >= 1 else { throw ValidationError("--max-array and --frames-per-task must be at least 1") }
    }

    func run() throws {
        do {
            let configuration = try config.map(PipelineConfigurationFile.read) ?? PipelineConfiguration()
            var options = PipelineRunner.Options(roots: roots, output: output, configuration: configuration)
            options.scope = .plan
            let plan = try PipelineRunner(options: options).makePlan(chunking: .init(maxTasks: maxArray, minimumFramesPerTask: framesPerTask))
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(plan), as: UTF8.self))
                return
            }
            print(Self.describe(plan, verbose: verbose), terminator: "")
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
    }

    /// The plan in words: one line per level, and with `verbose` one per step.
    static func describe(_ plan: ExecutionPlan, verbose: Bool) -> String {
        var text = "plan of \(plan.steps.count) steps in \(plan.levels.count) levels, \(plan.levels.reduce(0) { $0 + $1.tasks.count }) array tasks → \(plan.output)\n"
        for level in plan.levels {
            let ids = level.tasks.flatMap { $0 }
            let steps = ids.compactMap { plan.step($0) }
            let counts = ExecutionPlan.Status.allCases.compactMap { status -> String? in
                let n = steps.filter { $0.status == status }.count
                return n > 0 ? "\(n) \(status.rawValue)" : nil
            }
            let after = level.afterLevels.isEmpty ? "" : ", after level " + level.afterLevels.map(String.init).joined(separator: ", ")
            text += "level \(level.index) \(level.name): \(steps.count) \(steps.count == 1 ? "step" : "steps") in \(level.tasks.count) \(level.tasks.count == 1 ? "task" : "tasks") (\(counts.joined(separator: ", ")))\(after)\n"
            guard verbose else { continue }
            for step in steps {
                let label = step.kind == .calibrate || step.kind == .register || step.kind == .normalize ? URL(fileURLWithPath: step.label).lastPathComponent : step.label
                text += "  \(step.status.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(step.id.prefix(16))  \(label)\n"
            }
        }
        return text
    }
}

struct StepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Run steps of a plan (`lerar plan --json`): what one array task of `lerar run --executor slurm` does.",
        discussion: """
        Reads and writes through the run's cache in the plan's output folder (on a shared filesystem for a cluster):
        a step already done does nothing, a failed one can be run again. Give step ids (all of one level), or
        --level and --task for one array task's share. A step whose earlier levels are not done stops with exit
        status 1 and says what is missing.
        """
    )

    @Argument(help: "Ids of the steps to run, or their first 8 or more characters (`lerar plan -v` lists them).")
    var ids: [String] = []

    @Option(help: "The plan (`lerar plan --json > plan.json`, or OUTPUT/slurm/plan.json of a cluster run).", completion: .file(extensions: ["json"]))
    var plan: String

    @Option(help: "Run the steps of this level's --task (with --task).")
    var level: Int?

    @Option(help: "Array task index within --level (Slurm's SLURM_ARRAY_TASK_ID).")
    var task: Int?

    @Flag(name: .shortAndLong, help: "Print every decision (they are always in the step's log file).")
    var verbose = false

    func validate() throws {
        guard ids.isEmpty != (level == nil || task == nil) else { throw ValidationError("give step ids, or --level and --task") }
    }

    func run() throws {
        do {
            let executionPlan = try ExecutionPlan.read(plan)
            var stepIDs = ids
            if let level, let task {
                guard let found = executionPlan.levels.first(where: { $0.index == level }), found.tasks.indices.contains(task) else {
                    throw ValidationError("the plan has no task \(task) in level \(level)")
                }
                stepIDs = found.tasks[task]
            }
            InterruptFlag.install()
            let summary = try PipelineRunner.runSteps(stepIDs, of: executionPlan, observer: TerminalObserver(verbose: verbose))
            print("\(stepIDs.count) \(stepIDs.count == 1 ? "step" : "steps") done in " + String(format: "%.1f s: %d items computed, %d taken from the cache", summary.seconds,
                                                                                             summary.computed, summary.stages.reduce(0) { $0 + $1.reused }))
            if let log = summary.log { print("log: \(log)") }
        } catch let error as ValidationError {
            throw error
        } catch PipelineError.interrupted(let stage) {
            Terminal.error("interrupted during \(stage): finished work is cached; run the step again to resume")
            throw ExitCode(130)
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
    }
}
