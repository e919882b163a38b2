import Foundation
import LerarCore
import LerarIntegration
import LerarIO
import LerarRegistration

/// The LN reference (WBPP's way, shared/reference/local-normalization.md §7): the best N registered subs by the
/// measurement ranking, each first locally normalized to the best one, then averaged with no rejection — so the
/// frames' different gradients cannot leave steps where their registration borders end — optionally flattened by
/// background extraction.
public struct ReferenceBuilder: Sendable {
    public struct Parameters: Sendable {
        /// Frames in the reference (WBPP 20; 10…20 allowed).
        public var best = 15
        public var flatten = false
        public var extraction = BackgroundExtraction.Parameters()
        public init() {}
    }

    public struct Report: Sendable, Codable {
        public var output: String
        /// The frames used, best first, and those left out.
        public var used: [String], unused: [String]
        public var missing: MissingData
        public var flattened: Bool
        /// Background peak-to-peak of the reference before and after flattening, % of its sky level.
        public var gradientBefore: Double, gradientAfter: Double?
        public var notes: [String]
    }

    public let parameters: Parameters
    /// LN settings for the first stage (scale, clipping).
    public var normalization = LocalNormalizationParameters()
    /// Memory budget of the averaging's pixel stacks, bytes.
    public var maxMemory = IntegrationParameters().maxMemory
    /// Whole frames measured or fitted at once (see `Parallel.frameWorkers`).
    public var frameWorkers = Parallel.coreCount

    public init(parameters: Parameters = Parameters()) { self.parameters = parameters }

    /// Builds the reference from `paths`, ranked by `measure`'s weight — or in the order given when `ranked` is true
    /// (best first: the caller has measured them already).
    /// `fwhm`: measured FWHM (px) by path, where known (spares a star search per frame).
    /// `source`: where the frames are read (files, or images held in memory under those paths).
    public func build(paths: [String], source: ImageSource = .files, ranked alreadyRanked: Bool = false, fwhm: [String: Double] = [:], output: String,
                      overwrite: Bool, progress: (@Sendable (String, Int, Int) -> Void)? = nil) throws -> Report {
        guard (10...20).contains(parameters.best) else { throw NormalizationError.badParameter("--best must be 10…20 (got \(parameters.best))") }
        guard !paths.isEmpty else { throw NormalizationError.badParameter("no frames for the reference") }
        var notes: [String] = []
        let ranked = alreadyRanked ? paths
            : try FrameMeasurer.measure(paths: paths, workers: frameWorkers) { progress?("measuring frames", $0, $1) }.sorted { $0.rank < $1.rank }.map(\.path)
        if paths.count < parameters.best { notes.append("only \(paths.count) frames: all are used (asked for the best \(parameters.best))") }
        let used = Array(ranked.prefix(parameters.best)), unused = Array(ranked.dropFirst(parameters.best))
        var integration = IntegrationParameters()
        integration.combination = .average
        integration.rejection = .none
        integration.normalization = .local
        integration.subtractPedestals = false
        integration.maxMemory = maxMemory
        let best = try LocalNormalizationReference(path: used[0], image: try source.read(used[0]), parameters: normalization)
        let functions = try LocalNormalizationSet.fit(paths: used, source: source, reference: best, fwhm: fwhm, workers: frameWorkers) { progress?("normalizing to the best frame", $0, $1) }
        let result = try IntegrationEngine(parameters: integration).integrate(paths: used, source: source, local: functions) { progress?($0, $1, $2) }
        var image = result.image
        image.metadata.addHistory("\(LerarVersion.application) lnref: average of the best \(used.count) of \(paths.count) frames, each LN-normalized to \(URL(fileURLWithPath: used[0]).lastPathComponent), no rejection")
        let before = Self.gradientPercent(image)
        var after: Double?
        if parameters.flatten {
            image = try BackgroundExtraction.apply(image, parameters: parameters.extraction).corrected
            image.metadata.addHistory("\(LerarVersion.application) lnref: background extracted (\(parameters.extraction.correction.rawValue))")
            after = Self.gradientPercent(image)
        }
        let missing = MissingData(image)
        if !missing.isEmpty { notes.append("reference has \(missing.summary): LN masks these pixels out of its fits") }
        image.sourceSampleFormat = .float32
        try ImageFile.write(image, to: output, options: ImageWriteOptions(sampleFormat: .float32, overwrite: overwrite))
        return Report(output: output, used: used, unused: unused, missing: missing, flattened: parameters.flatten,
                      gradientBefore: before, gradientAfter: after, notes: notes)
    }

    /// Peak-to-peak of the large-scale background over its median, %.
    public static func gradientPercent(_ image: Image) -> Double {
        let plane = image.channelMean()
        let grid = BackgroundGrid(plane: plane, width: image.width, height: image.height, cellSize: max(32, min(image.width, image.height) / 16))
        return 100 * grid.peakToPeak / abs(grid.level)
    }
}
