import Foundation

/// Slurm's command-line tools as `lerar run --executor slurm` uses them: `sbatch` to submit a level's job array,
/// `scontrol show job` (and `sacct` once a job has left the controller's memory) to follow it, `scancel` to stop it.
struct SlurmClient: Sendable {
    /// What Slurm says of one array task.
    enum TaskState: Equatable, Sendable {
        case waiting, running, completed
        case failed(String)

        /// Slurm's job state names (squeue/scontrol/sacct): FAILED, TIMEOUT, OUT_OF_MEMORY, … end a task badly.
        init(slurm name: String) {
            let state = name.split(separator: " ").first.map(String.init) ?? name
            switch state {
            case "COMPLETED": self = .completed
            case "RUNNING", "COMPLETING", "CONFIGURING", "STAGE_OUT", "SIGNALING": self = .running
            case "PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SUSPENDED", "RESV_DEL_HOLD": self = .waiting
            default: self = .failed(state)
            }
        }
    }

    struct CommandFailure: Error, CustomStringConvertible {
        var command: String, status: Int32, output: String
        var description: String { "\(command) failed (exit status \(status)): \(output.trimmingCharacters(in: .whitespacesAndNewlines))" }
    }

    /// Runs `tool` with `arguments` from PATH; returns its standard output, throws with its error output.
    static func call(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            throw CommandFailure(command: tool, status: -1, output: "cannot start it: \(error.localizedDescription) (is Slurm's client installed and on PATH?)")
        }
        // Read before waiting: a full pipe would block the tool.
        let output = out.fileHandleForReading.readDataToEndOfFile(), errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw CommandFailure(command: ([tool] + arguments).joined(separator: " "), status: process.terminationStatus,
                                 output: String(decoding: errors, as: UTF8.self) + text)
        }
        return text
    }

    /// Submits `script`; returns the job id.
    func submit(_ script: String, arguments: [String]) throws -> String {
        let output = try Self.call("sbatch", ["--parsable"] + arguments + [script])
        // --parsable prints "id" or "id;cluster".
        guard let id = output.split(whereSeparator: { $0 == ";" || $0.isNewline }).first.map(String.init), !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw CommandFailure(command: "sbatch", status: 0, output: "no job id in its answer: \(output)")
        }
        return id
    }

    /// The state of every task of array job `job`, by task index; nil when Slurm no longer knows the job.
    func tasks(of job: String) throws -> [Int: TaskState]? {
        if let text = try? Self.call("scontrol", ["show", "job", "-o", job]) {
            var states: [Int: TaskState] = [:]
            for line in text.split(separator: "\n") {
                let fields = Self.fields(line)
                guard fields["ArrayJobId"] == job, let tasks = fields["ArrayTaskId"], let state = fields["JobState"] else { continue }
                for index in Self.indices(tasks) { states[index] = TaskState(slurm: state) }
            }
            if !states.isEmpty { return states }
        }
        // Gone from the controller's memory (MinJobAge): the accounting database, where there is one.
        guard let text = try? Self.call("sacct", ["-n", "-P", "-X", "-j", job, "-o", "JobID,State"]) else { return nil }
        var states: [Int: TaskState] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "|").map(String.init)
            guard parts.count == 2, let underscore = parts[0].firstIndex(of: "_") else { continue }
            let tasks = parts[0][parts[0].index(after: underscore)...].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            for index in Self.indices(tasks) { states[index] = TaskState(slurm: parts[1]) }
        }
        return states.isEmpty ? nil : states
    }

    /// Cancels jobs (errors ignored: a finished job cannot be cancelled).
    func cancel(_ jobs: [String]) {
        guard !jobs.isEmpty else { return }
        _ = try? Self.call("scancel", jobs)
    }

    /// `Key=Value` fields of one `scontrol -o` line.
    static func fields(_ line: Substring) -> [String: String] {
        var fields: [String: String] = [:]
        for part in line.split(separator: " ") {
            guard let equals = part.firstIndex(of: "=") else { continue }
            fields[String(part[..<equals])] = String(part[part.index(after: equals)...])
        }
        return fields
    }

    /// Task indices of `0-3,7,9-10%2` (a throttle after `%` ignored).
    static func indices(_ text: String) -> [Int] {
        let list = text.split(separator: "%").first.map(String.init) ?? text
        return list.split(separator: ",").flatMap { part -> [Int] in
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 2, bounds[0] <= bounds[1] { return Array(bounds[0]...bounds[1]) }
            return bounds.count == 1 ? bounds : []
        }
    }

    /// `0-3,7,9-10` for the sorted indices given: sbatch's --array list.
    static func arrayList(_ indices: [Int]) -> String {
        var parts: [String] = []
        var position = 0
        let sorted = indices.sorted()
        while position < sorted.count {
            var end = position
            while end + 1 < sorted.count && sorted[end + 1] == sorted[end] + 1 { end += 1 }
            parts.append(end == position ? "\(sorted[position])" : "\(sorted[position])-\(sorted[end])")
            position = end + 1
        }
        return parts.joined(separator: ",")
    }
}
