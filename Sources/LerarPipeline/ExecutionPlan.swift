import Foundation
import LerarCalibration
import LerarIO

/// A run as a graph of steps in levels (schema `lerar.plan`, version 1; docs/plan.md): what `lerar plan` prints and
/// `lerar run --executor slurm` submits, one job array per level. Every step of a level needs only the levels
/// before it; a step's `after` names the steps it reads from directly.
public struct ExecutionPlan: Sendable, Codable {
    public static let schemaName = "lerar.plan"

    /// What a step does.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case master, calibrate, register, lnReference = "lnref", normalize, integrate, final
    }

    /// done: in the cache, intact; pending: to compute; waiting: its cache key depends on results of earlier levels
    /// (the registration reference, the frames' weights), so it is known once they are done.
    public enum Status: String, Sendable, Codable, CaseIterable { case done, pending, waiting }

    public struct Step: Sendable, Codable {
        /// The step's name for `lerar step`: its cache key where that is known before any work (masters, calibration),
        /// else a key of what determines it (its frames and settings).
        public var id: String
        public var kind: Kind
        /// A master group, a light's path, a stack's name.
        public var label: String
        /// The key `lerar run` caches the step's result under; nil while it depends on earlier levels' results.
        public var cacheKey: String?
        public var inputs: [String]
        public var outputs: [String]
        /// Ids of the steps it reads from (a whole earlier level is named in its level's `afterLevels`).
        public var after: [String]
        public var status: Status
    }

    public struct Level: Sendable, Codable {
        public var index: Int
        public var name: String
        public var kind: Kind
        /// Levels that must have finished first.
        public var afterLevels: [Int]
        /// Step ids per array task.
        public var tasks: [[String]]
    }

    public var schema = ExecutionPlan.schemaName
    public var version = 1
    public var lerar: String
    public var created: String
    public var roots: [String]
    public var output: String
    /// The run's configuration (YAML), so every step keys and computes as the plan did.
    public var configuration: String
    /// The link the plan was made from: steps use it rather than cataloguing the folders again.
    public var link: LinkPlan
    public var levels: [Level]
    public var steps: [Step]

    /// The step named `id`.
    public func step(_ id: String) -> Step? { steps.first { $0.id == id } }

    /// The step named `id`, or the only one whose id starts with it (as `lerar plan -v` shortens them).
    public func step(matching id: String) -> Step? {
        if let exact = step(id) { return exact }
        guard id.count >= 8 else { return nil }
        let matches = steps.filter { $0.id.hasPrefix(id) }
        return matches.count == 1 ? matches[0] : nil
    }

    /// Steps of a level that are not done.
    public func openSteps(_ level: Level) -> Int {
        let open = Set(steps.filter { $0.status != .done }.map(\.id))
        return level.tasks.reduce(0) { $0 + $1.filter(open.contains).count }
    }

    /// Array task indices of a level with at least one step not done.
    public func openTasks(_ level: Level) -> [Int] {
        let open = Set(steps.filter { $0.status != .done }.map(\.id))
        return level.tasks.indices.filter { level.tasks[$0].contains(where: open.contains) }
    }

    /// Writes the plan as JSON, atomically.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFileWriter.write(try encoder.encode(self), to: path, overwrite: true)
    }

    /// Reads a plan written by `write`; refuses another schema or version.
    public static func read(_ path: String) throws -> ExecutionPlan {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw PipelineError.badConfiguration(path: path, reason: "cannot read the plan: \(error.localizedDescription)")
        }
        struct Header: Decodable { var schema: String?; var version: Int? }
        let header = try? JSONDecoder().decode(Header.self, from: data)
        guard header?.schema == schemaName, header?.version == 1 else {
            throw PipelineError.badConfiguration(path: path, reason: "not a lerar.plan version 1 file (made by `lerar plan --json`)")
        }
        do { return try JSONDecoder().decode(ExecutionPlan.self, from: data) } catch {
            throw PipelineError.badConfiguration(path: path, reason: "the plan is damaged: \(error)")
        }
    }

    /// Splits `ids` into at most `maxTasks` tasks of at least `minimumPerTask` steps, in order, sizes differing by one at most.
    static func chunk(_ ids: [String], maxTasks: Int, minimumPerTask: Int = 1) -> [[String]] {
        guard !ids.isEmpty else { return [] }
        let tasks = max(1, min(maxTasks, ids.count / max(1, minimumPerTask)))
        let base = ids.count / tasks, extra = ids.count % tasks
        var result: [[String]] = [], start = 0
        for task in 0..<tasks {
            let size = base + (task < extra ? 1 : 0)
            result.append(Array(ids[start..<start + size]))
            start += size
        }
        return result
    }
}

extension ExecutionPlan.Kind {
    /// The share of a run that does steps of this kind with these labels.
    func scope(_ labels: Set<String>) -> RunScope {
        switch self {
        case .master: .masters(labels)
        case .calibrate: .calibrate(labels)
        case .register: .register(labels)
        case .lnReference: .lnReference(labels)
        case .normalize: .normalize(labels)
        case .integrate: .integrate(labels)
        case .final: .final
        }
    }
}
