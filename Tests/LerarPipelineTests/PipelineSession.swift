import Foundation
import LerarCore
import LerarIO
import LerarPipeline
import LerarSimulator

/// A small simulated session on disk and a pipeline run over it, for the end-to-end tests.
struct PipelineSession {
    let folder: String
    var session: String { folder + "/session" }
    var output: String { folder + "/out" }
    var truth: String { session + "/truth" }

    /// Simulates `filters` × `lights` subs of `size`² px (× `panels`) with the usual defects, few calibration frames.
    init(name: String, size: Int = 256, filters: [String] = ["L"], lights: Int = 6, panels: Int = 1, nights: Int = 1, seed: UInt64 = 7,
         cloudy: Bool = false, starless: Bool = false, oneShotColour: Bool = false,
         adjust: (inout SessionConfiguration) -> Void = { _ in }) throws {
        folder = NSTemporaryDirectory() + "lerar-pipeline-\(name)-\(UUID().uuidString)"
        var c = SessionConfiguration()
        c.width = size; c.height = size
        c.filters = filters
        c.lightsPerFilter = lights
        c.panels = panels
        c.nights = nights
        c.seed = seed
        c.biasCount = 5; c.darkCount = 5; c.flatCount = 5; c.darkFlatCount = 5; c.secondDarkExposure = 0
        c.cloudySub = cloudy
        c.starlessSub = starless
        c.oneShotColor = oneShotColour
        adjust(&c)
        _ = try SessionWriter(configuration: c).write(to: session)
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    /// The default settings (intermediates kept on request).
    static func configuration(keepIntermediates: Bool = false) -> PipelineConfiguration {
        var configuration = PipelineConfiguration()
        configuration.output.keepIntermediates = keepIntermediates
        return configuration
    }

    func run(_ configuration: PipelineConfiguration = PipelineSession.configuration(), observer: any PipelineObserver = SilentObserver(),
             roots: [String]? = nil, output: String? = nil) throws -> RunSummary {
        try PipelineRunner(options: .init(roots: roots ?? [session], output: output ?? self.output, configuration: configuration), observer: observer).run()
    }

    /// Removes calibration folders of the session (e.g. to leave lights only).
    func remove(_ folders: [String]) throws {
        for name in folders { try FileManager.default.removeItem(atPath: session + "/" + name) }
    }

    /// Every light file of the session.
    var lights: [String] {
        let walker = FileManager.default.enumerator(atPath: session)!
        return walker.compactMap { $0 as? String }.filter { $0.contains("lights/") && ($0.hasSuffix(".fits") || $0.hasSuffix(".xisf")) }
            .sorted().map { session + "/" + $0 }
    }

    /// `lerar verify` of a result against the session's truth.
    func verify(_ path: String, panel: Int? = nil) throws -> ResultVerifier.Report {
        try ResultVerifier.verify(try ImageFile.read(path), file: path, truthFolder: truth, panel: panel)
    }
}

/// Stops a run once `stage` has finished `after` items.
final class StoppingObserver: PipelineObserver, @unchecked Sendable {
    let stage: String, after: Int
    private let lock = NSLock()
    private var done = 0

    init(stage: String, after: Int) {
        self.stage = stage
        self.after = after
    }

    func advanced(_ stage: String, done: Int, total: Int) {
        guard stage == self.stage else { return }
        lock.withLock { self.done = max(self.done, done) }
    }

    func shouldStop() -> Bool { lock.withLock { done >= after } }
}

/// An observer that notes, after each finished item of any stage, which of `folders` exist with files in them.
final class FolderWatcher: PipelineObserver, @unchecked Sendable {
    let folders: [String]
    private let lock = NSLock()
    private var seen: Set<String> = []

    init(_ folders: [String]) { self.folders = folders }

    func advanced(_ stage: String, done: Int, total: Int) {
        let present = folders.filter { !((try? FileManager.default.subpathsOfDirectory(atPath: $0)) ?? []).isEmpty }
        lock.withLock { seen.formUnion(present) }
    }

    /// Folders that held files at some point of the run.
    var populated: Set<String> { lock.withLock { seen } }
}
