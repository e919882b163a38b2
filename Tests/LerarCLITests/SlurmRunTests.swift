import Foundation
import Testing

/// `lerar run --executor slurm` on a real Slurm: the loopback one-node cluster of `scripts/slurm-loopback.sh`
/// (`make test-slurm`, and CI, start it and set SLURM_CONF); without one these tests do not run.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["SLURM_CONF"] != nil, "needs a Slurm cluster: make test-slurm"))
struct SlurmRunTests {
    static let inputs = ["session/lights", "session/darks", "session/flats", "session/bias", "session/darkflats"]
    static let reproducible = "SOURCE_DATE_EPOCH=1700000000"

    /// LRGB, 4 subs per filter (one B sub is rejected: 3 are left to integrate and finish).
    static func session() throws -> Scratch {
        let scratch = Scratch()
        #expect(try CLIRun.run(["simulate", "--out", "session", "--size", "128", "128", "--lights", "4", "--filters", "L,R,G,B"], in: scratch.path).status == 0)
        return scratch
    }

    /// Starts `lerar ARGS` without waiting for it.
    static func start(_ arguments: [String], in folder: String) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIRun.executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, err)
    }

    /// Keys stored more than once in the run's journals: work done twice.
    static func repeatedKeys(_ cache: String) throws -> [String] {
        var seen = Set<String>(), repeated: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: cache) where name.hasPrefix("journal") {
            let text = try String(contentsOfFile: cache + "/" + name, encoding: .utf8)
            for line in text.split(separator: "\n") {
                guard let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let key = record["key"] as? String else { continue }
                if !seen.insert(key).inserted { repeated.append("\(record["step"] ?? "") \(key.prefix(12))") }
            }
        }
        return repeated
    }

    /// Jobs of this user still in the queue.
    static func queued() throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["squeue", "-h", "-o", "%i %T"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func slurmRunGivesTheLocalRunsMastersByteForByte() throws {
        let scratch = try Self.session()
        let local = try CLIRun.run(["run"] + Self.inputs + ["-o", "local"], in: scratch.path, prefix: Self.reproducible)
        #expect(local.status == 0, "\(local.error)")
        let cluster = try CLIRun.run(["run"] + Self.inputs + ["-o", "cluster", "--executor", "slurm", "--frames-per-task", "2", "--stack-cores", "2"],
                                    in: scratch.path, prefix: Self.reproducible)
        #expect(cluster.status == 0, "\(cluster.error)")
        // The closing line times each level on the cluster.
        #expect(cluster.output.contains("time per stage: ") && cluster.output.contains("calibrate ") && cluster.output.contains("integrate "), "\(cluster.output)")
        #expect(cluster.output.contains("final/LRGB.tif"), "\(cluster.output)")
        try expectSameMasters(scratch.file("local/master"), scratch.file("cluster/master"))
        #expect(try Self.repeatedKeys(scratch.file("cluster/cache")).isEmpty)
        // Everything is in the cache: a second run submits only the closing level and computes nothing.
        let again = try CLIRun.run(["run"] + Self.inputs + ["-o", "cluster", "--executor", "slurm"], in: scratch.path)
        #expect(again.status == 0 && again.output.contains(": 0 items computed"), "\(again.output)\n\(again.error)")
        let log = try String(contentsOfFile: scratch.file("cluster/slurm/timeline.json"), encoding: .utf8)
        #expect(log.contains("finish and report") && !log.contains("\"calibrate\""), "\(log)")
    }

    @Test func interruptedSlurmRunCancelsItsJobsAndResumesWithoutRecomputing() throws {
        let scratch = try Self.session()
        let (process, err) = try Self.start(["run"] + Self.inputs + ["-o", "cluster", "--executor", "slurm"], in: scratch.path)
        // Ctrl-C once some lights are calibrated.
        let journalsFolder = scratch.file("cluster/cache")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, process.isRunning {
            let text = ((try? FileManager.default.contentsOfDirectory(atPath: journalsFolder)) ?? []).filter { $0.hasPrefix("journal-") }
                .compactMap { try? String(contentsOfFile: journalsFolder + "/" + $0, encoding: .utf8) }.joined()
            if text.components(separatedBy: "\"step\":\"calibrate\"").count > 3 { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(process.isRunning, "the run ended before it could be interrupted")
        process.interrupt()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "\(errors)")
        #expect(errors.contains("interrupted"))
        Thread.sleep(forTimeInterval: 1)
        #expect(try Self.queued().isEmpty, "jobs left in the queue after Ctrl-C")

        let resumed = try CLIRun.run(["run"] + Self.inputs + ["-o", "cluster", "--executor", "slurm"], in: scratch.path)
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(try Self.repeatedKeys(journalsFolder).isEmpty, "work done twice")
        let timeline = try String(contentsOfFile: scratch.file("cluster/slurm/timeline.json"), encoding: .utf8)
        #expect(!timeline.contains("\"masters\""), "the masters were submitted again: \(timeline)")
    }

    @Test func killedCoordinatorsJobsAreCancelledByTheNextRun() throws {
        let scratch = try Self.session()
        let (process, _) = try Self.start(["run"] + Self.inputs + ["-o", "cluster", "--executor", "slurm"], in: scratch.path)
        let jobsFile = scratch.file("cluster/slurm/jobs.json")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning, (FileManager.default.contents(atPath: jobsFile).flatMap { try? JSONDecoder().decode([String].self, from: $0) }?.count ?? 0) < 8 {
            Thread.sleep(forTimeInterval: 0.2)
        }
        // The coordinator dies (its node rebooted); its jobs stay queued.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(!(try Self.queued()).isEmpty, "the jobs should outlive their coordinator")
        let rerun = try CLIRun.run(["run"] + Self.inputs + ["-o", "cluster", "--executor", "slurm"], in: scratch.path)
        #expect(rerun.status == 0, "\(rerun.error)")
        // The rerun's own log (two runs in the same second name theirs `…-slurm.log` and `…-slurm-2.log`).
        let logPath = try #require(rerun.output.split(separator: "\n").first { $0.hasPrefix("log: ") }).dropFirst(5)
        let last = try String(contentsOfFile: String(logPath), encoding: .utf8)
        #expect(last.contains("left by an earlier run of this folder"), "\(last)")
        #expect(try Self.repeatedKeys(scratch.file("cluster/cache")).isEmpty, "work done twice")
        #expect(try Self.queued().isEmpty)
    }

    @Test func failingStepIsReportedWithItsLogAndTheRestIsCancelled() throws {
        let scratch = try Self.session()
        // Held jobs: a light is damaged after the plan was made, before its calibration runs (a disk error mid-run).
        let (process, err) = try Self.start(["run"] + Self.inputs + ["-o", "cluster", "--executor", "slurm", "--sbatch-arg=--hold"], in: scratch.path)
        let jobsFile = scratch.file("cluster/slurm/jobs.json")
        let deadline = Date().addingTimeInterval(60)
        var jobs: [String] = []
        while Date() < deadline, process.isRunning {
            if let data = FileManager.default.contents(atPath: jobsFile), let list = try? JSONDecoder().decode([String].self, from: data), list.count == 8 { jobs = list; break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(jobs.count == 8, "the eight levels were not submitted")
        let lights = scratch.file("session/lights/G")
        let victim = try #require(try FileManager.default.contentsOfDirectory(atPath: lights).sorted().first)
        try FileManager.default.copyItem(atPath: lights + "/" + victim, toPath: scratch.file("intact.fits"))
        let handle = try #require(FileHandle(forWritingAtPath: lights + "/" + victim))
        try handle.truncate(atOffset: 4000)
        try handle.close()
        let release = Process()
        release.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        release.arguments = ["scontrol", "release", jobs.joined(separator: ",")]
        try release.run()
        release.waitUntilExit()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(errors.contains("level 2 (calibrate)") && errors.contains(victim) && errors.contains("truncated"), "\(errors)")
        Thread.sleep(forTimeInterval: 1)
        #expect(try Self.queued().isEmpty, "jobs left in the queue after the failure")
        // The light mended, the same command finishes the run, redoing nothing that was done before the failure.
        try FileManager.default.removeItem(atPath: lights + "/" + victim)
        try FileManager.default.copyItem(atPath: scratch.file("intact.fits"), toPath: lights + "/" + victim)
        let retried = try CLIRun.run(["run"] + Self.inputs + ["-o", "cluster", "--executor", "slurm"], in: scratch.path)
        #expect(retried.status == 0, "\(retried.error)")
        #expect(retried.output.contains("final/LRGB.tif"))
        #expect(try Self.repeatedKeys(scratch.file("cluster/cache")).isEmpty, "work done twice")
    }
}
