import ArgumentParser
import Foundation
import LerarCore
import LerarPipeline

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The whole pipeline in one command: link → masters → calibrate → measure → register → LN → integrate.",
        discussion: """
        WBPP's order of work on folders of raw subs. Stops before any work when a light has no valid master (the ✗
        tree says why), unless --allow-missing. Output: master/ (calibration masters, LN references, masterLight_*
        stacks, *_autocrop), logs/ (every decision, and the configuration used), report/index.html, cache/.
        Calibrated and registered frames pass from stage to stage in memory when all of them fit three quarters of
        output.memoryBudget; else registered frames go through registered/ (removed after success unless
        --keep-intermediates) and registration calibrates each light again from its raw sub (calibrated/ is written
        only for one-shot-colour lights, whose debayer costs more, and with --keep-intermediates, drizzle or a
        cluster step). LN is applied inside the integration, so normalized/ _n frames are written only with
        --keep-intermediates. A later run with a changed setting recomputes frames that were held in memory from the raw subs.
        Frames are calibrated and registered one per core while about \(DefaultText.numbers(FramesInFlight.imagesPerFrame)) frame images each fit output.memoryBudget
        (never fewer than \(Parallel.minimumFrameWorkers) at once), so memory does not grow with the cores; the log says when it holds cores back.
        Every finished step is cached by its inputs and parameters: run the same command again after an
        interruption (Ctrl-C) or a changed setting and only what changed is redone. Settings: --config FILE
        (YAML or JSON, only the keys you change); --print-config prints every key with its default and meaning.
        --executor slurm runs the same steps as job arrays on a Slurm cluster sharing the output folder (docs/cluster.md).
        Exit status: 0 done; 2 done, but some input files could not be read (corrupt, truncated, broken links: they
        are listed); 1 failed (the error and the log say why); 130 interrupted (run again to resume).
        """
    )

    @Argument(help: "Folders (or files) of lights, darks, flats, dark-flats and bias.", completion: .directory)
    var roots: [String] = []

    @Option(name: .shortAndLong, help: "Output folder (not inside an input folder).")
    var output: String?

    @Option(help: "Configuration file (YAML or JSON).", completion: .file(extensions: ["yaml", "yml", "json"]))
    var config: String?

    @Flag(help: "Print the default configuration, documented, and exit.")
    var printConfig = false

    @Flag(help: "Link and show what would be done; process nothing.")
    var dryRun = false

    @Flag(help: "Go on when some lights have no valid master (they are skipped).")
    var allowMissing = false

    @Flag(help: "Write calibrated/, registered/ and normalized/ (_n) frames and keep them (a later run with a changed setting then starts from them).")
    var keepIntermediates = false

    @Flag(name: .shortAndLong, help: "Print every decision (they are always in the log file).")
    var verbose = false

    @Flag(help: "Print a JSON summary (schema lerar.run) on stdout.")
    var json = false

    @Option(help: "Where the work runs: local (this machine) or slurm (one job array per level of `lerar plan`, on a shared filesystem; docs/cluster.md).")
    var executor: Executor = .local

    @Option(help: "Slurm partition for the jobs (default: the cluster's default).")
    var partition: String?

    @Option(help: "Most array tasks per level (Slurm's MaxArraySize is 1001 by default).")
    var maxArray = PipelineRunner.Chunking().maxTasks

    @Option(help: "Fewest per-frame steps in one array task (more per task: fewer, longer jobs).")
    var framesPerTask = PipelineRunner.Chunking().minimumFramesPerTask

    @Option(name: .customLong("sbatch-arg"), parsing: .unconditionalSingleValue, help: "One more sbatch option, as given (repeat it): --sbatch-arg=--time=4:00:00 --sbatch-arg=--mem=16G.")
    var sbatchArguments: [String] = []

    @Option(help: "Cores for each LN-reference and integration task (a stack is integrated in one task: give it a node's cores).")
    var stackCores: Int?

    @Option(help: "lerar as the cluster's nodes run it (default: this executable's path, which must exist on every node).")
    var lerarPath: String?

    enum Executor: String, ExpressibleByArgument, CaseIterable { case local, slurm }

    func validate() throws {
        if printConfig { return }
        guard !roots.isEmpty else { throw ValidationError("give the folders to process") }
        guard output != nil else { throw ValidationError("give the output folder with -o") }
        guard maxArray >= 1, framesPerTask >= 1 else { throw ValidationError("--max-array and --frames-per-task must be at least 1") }
        if executor == .local && (partition != nil || !sbatchArguments.isEmpty || lerarPath != nil || stackCores != nil) {
            throw ValidationError("--partition, --sbatch-arg, --stack-cores and --lerar-path are for --executor slurm")
        }
        if let stackCores, stackCores < 1 { throw ValidationError("--stack-cores must be at least 1") }
    }

    func run() throws {
        if printConfig {
            print(try PipelineConfigurationFile.defaultsDocument(), terminator: "")
            return
        }
        do {
            var configuration = try config.map(PipelineConfigurationFile.read) ?? PipelineConfiguration()
            if allowMissing { configuration.link.allowMissing = true }
            if keepIntermediates { configuration.output.keepIntermediates = true }
            var options = PipelineRunner.Options(roots: roots, output: output!, configuration: configuration)
            options.dryRun = dryRun
            InterruptFlag.install()
            let observer = TerminalObserver(verbose: verbose || dryRun)
            let summary: RunSummary
            if executor == .slurm && !dryRun {
                var slurm = SlurmExecutor.Options(executable: lerarPath ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path)
                slurm.partition = partition
                slurm.maxArray = maxArray
                slurm.framesPerTask = framesPerTask
                slurm.sbatchArguments = sbatchArguments
                slurm.stackCores = stackCores
                summary = try SlurmExecutor(run: options, slurm: slurm, observer: observer).execute()
            } else {
                summary = try PipelineRunner(options: options, observer: observer).run()
            }
            if json { try Terminal.printJSON(summary); try Self.failOnUnreadableInputs(summary); return }
            print(dryRun ? "dry run: nothing processed" : "done in \(String(format: "%.1f", summary.seconds)) s: \(summary.computed) items computed, \(summary.stages.reduce(0) { $0 + $1.reused }) from the cache")
            for stack in summary.stacks {
                if let skipped = stack.skipped { print("  \(stack.name): not integrated (\(skipped))"); continue }
                print("  \(stack.autocropped ?? stack.master ?? "")  (\(stack.frames) frames, \(stack.rejectedFrames) rejected, \(stack.rejection ?? ""))")
                if let drizzled = stack.drizzled { print("  \(drizzled)  (drizzle; coverage map beside it)") }
            }
            for finish in summary.finishes {
                let roles = FinishRoles.order.filter { finish.inputs[$0] != nil }.joined()
                let final = finish.outputs.first { $0.hasSuffix(".tif") } ?? finish.outputs.first ?? ""
                let panel = summary.finishes.count > 1 ? " of panel \(finish.panel)" : ""
                print("  \(final)  (the finish\(panel), from \(roles); linear RGB, XISF and PNG beside it)")
            }
            Self.printSkipped(summary)
            let timed = summary.stages.filter { ($0.seconds ?? 0) >= 0.05 }
            if !dryRun && !timed.isEmpty {
                print("time per stage: " + timed.map { String(format: "%@ %.1f s", $0.stage, $0.seconds!) }.joined(separator: ", "))
            }
            if !summary.warnings.isEmpty { print("\(summary.warnings.count) warnings (see the log)") }
            if let report = summary.report { print("report: \(report)") }
            if let log = summary.log { print("log: \(log)") }
            try Self.failOnUnreadableInputs(summary)
        } catch let exit as ExitCode {
            throw exit
        } catch PipelineError.brokenLinks(let tree) {
            Terminal.error(PipelineError.brokenLinks(tree).errorDescription ?? "")
            throw ExitCode.failure
        } catch PipelineError.interrupted(let stage) {
            Terminal.error("interrupted during \(stage): finished steps are cached; run the same command again to resume")
            throw ExitCode(130)
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
    }
}

extension RunCommand {
    /// Exit status 2 when input files could not be read: the run finished with the rest, and says so, but a script
    /// must not take a run that left out corrupt subs for a clean one.
    static func failOnUnreadableInputs(_ summary: RunSummary) throws {
        let unreadable = summary.skipped.filter(\.unreadable)
        guard !unreadable.isEmpty else { return }
        Terminal.error("\(unreadable.count) input \(unreadable.count == 1 ? "file" : "files") could not be read (listed above, and in the log); "
                       + "everything else is done: exit status 2")
        throw ExitCode(2)
    }

    /// What the run left out and why, at the end of every run: unreadable or unknown files, lights without masters,
    /// and frames the selection or registration rejected.
    static func printSkipped(_ summary: RunSummary, limit: Int = 25) {
        func list(_ title: String, _ items: [(String, String)]) {
            guard !items.isEmpty else { return }
            print("\(title) \(items.count) \(items.count == 1 ? "file" : "files"):")
            for (path, reason) in items.prefix(limit) { print("  \(path): \(reason)") }
            if items.count > limit { print("  … and \(items.count - limit) more (see the log)") }
        }
        list("skipped", summary.skipped.map { ($0.path, $0.reason) })
        list("rejected", summary.frames.filter { !$0.accepted }.map { ($0.path, $0.rejection ?? "rejected") })
    }
}

/// Progress bars per stage on stderr (plain lines when not a terminal); warnings always, other log lines with -v.
final class TerminalObserver: PipelineObserver, @unchecked Sendable {
    private let verbose: Bool
    private let lock = NSLock()
    private var reporters: [String: ProgressReporter] = [:]

    init(verbose: Bool) { self.verbose = verbose }

    func stageStarted(_ stage: String, total: Int) {
        lock.withLock { reporters[stage] = ProgressReporter(stage) }
        if total > 0 { FileHandle.standardError.write(Data("\(stage): \(total) to do\n".utf8)) }
    }

    func advanced(_ stage: String, done: Int, total: Int) {
        guard total > 0 else { return }
        let reporter = lock.withLock { () -> ProgressReporter in
            if let existing = reporters[stage] { return existing }
            let made = ProgressReporter(stage)
            reporters[stage] = made
            return made
        }
        reporter.update(done, of: total)
    }

    func logged(_ line: String, level: RunLog.Level) {
        guard verbose || level != .info else { return }
        FileHandle.standardError.write(Data(((level == .info ? "" : "\(level.rawValue): ") + line + "\n").utf8))
    }

    func shouldStop() -> Bool { InterruptFlag.isSet }
}

/// Ctrl-C asks the run to stop after the frames in flight (so the cache keeps them); a second Ctrl-C exits at once.
enum InterruptFlag {
    nonisolated(unsafe) private static var raised: sig_atomic_t = 0

    static var isSet: Bool { raised != 0 }

    static func install() {
        // A parent that started lerar from a thread with signals blocked (a thread pool, a test runner) passes the
        // mask on: unblocked, so Ctrl-C and `kill -INT` reach the handler.
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
        signal(SIGINT) { _ in
            if InterruptFlag.raised != 0 { _exit(130) }
            InterruptFlag.raised = 1
        }
    }
}
