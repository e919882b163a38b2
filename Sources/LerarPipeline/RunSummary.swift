import Foundation
import LerarCalibration

/// What a `lerar run` did (schema `lerar.run`, version 1): printed by `--json`, drawn by the HTML report.
public struct RunSummary: Sendable, Codable {
    /// Items a stage computed and items it took from the cache.
    public struct StageCount: Sendable, Codable, Equatable {
        public var stage: String
        public var computed = 0, reused = 0
        /// Wall time spent in the stage, s (exclusive of nested stages).
        public var seconds: Double? = nil
        /// The process's peak RSS when the stage last ended, MiB: where it rises is the stage that set the run's peak.
        public var peakResidentMB: Int? = nil
    }

    /// One light: its measurements and what became of it.
    public struct Frame: Sendable, Codable {
        public var path: String
        public var stack: String
        public var filter: String, panel: String
        /// DATE-OBS as written in the header.
        public var date: String?
        public var stars: Int?
        /// Median FWHM, px; eccentricity; median star SNR; the integration's weight relative to the stack's best (nil for a
        /// frame rejected before the integration).
        public var fwhm: Double?, eccentricity: Double?, snr: Double?, weight: Double?
        /// PSF signal weight relative to the stack's best: what selection compares with `selection.minimumWeight`
        /// (measured before registration, so it may rank a frame otherwise than the integration's weight).
        public var selectionWeight: Double?
        /// Median sky level, ADU of the calibrated frame.
        public var background: Double?
        public var registrationRMS: Double?
        public var lnScale: Double?
        public var accepted = true
        public var rejection: String?
        /// Samples of the frame rejected low / high by the integration, % of its pixels.
        public var rejectedLowPercent: Double?, rejectedHighPercent: Double?
    }

    /// One integrated stack (per filter and panel).
    public struct Stack: Sendable, Codable {
        public var name: String
        public var filter: String, panel: String
        public var master: String?
        public var autocropped: String?
        public var lnReference: String?
        public var registrationReference: String?
        public var frames: Int, rejectedFrames: Int
        public var rejection: String?
        /// Rejected samples over the whole stack, % (low, high).
        public var rejectedLowPercent: Double?, rejectedHighPercent: Double?
        /// The same per channel (R, G, B for a colour stack), %.
        public var rejectedLowPercentByChannel: [Double]?, rejectedHighPercentByChannel: [Double]?
        /// Autocrop rectangle (x, y, width, height), px.
        public var crop: [Int]?
        /// The drizzled master and its coverage map (summed drop weights), when drizzle is on.
        public var drizzled: String?, drizzleCoverage: String?
        public var skipped: String?
    }

    public struct CalibrationMaster: Sendable, Codable {
        public var group: String, path: String, frames: Int, rejection: String
    }

    public var schema = "lerar.run", schemaVersion = 1
    public var output: String
    public var dryRun = false
    public var fullyLinked = true
    public var stages: [StageCount] = []
    public var masters: [CalibrationMaster] = []
    public var frames: [Frame] = []
    public var stacks: [Stack] = []
    public var skipped: [SkippedFile] = []
    /// The finish of each panel that had the channels for one.
    public var finishes: [FinishRecord] = []
    public var warnings: [String] = []
    public var log: String?
    public var report: String?
    public var seconds = 0.0
    /// Calibrated and registered frames went from stage to stage in memory (false: through files, and why).
    public var framesInMemory = false
    public var framesThroughFilesReason: String?
    /// Whole frames calibrated, registered or normalized at once (the cores, fewer where the budget says so).
    public var framesInFlight: Int?

    public init(output: String) { self.output = output }

    mutating func count(_ stage: String, computed: Int = 0, reused: Int = 0) {
        if let index = stages.firstIndex(where: { $0.stage == stage }) {
            stages[index].computed += computed
            stages[index].reused += reused
        } else {
            stages.append(StageCount(stage: stage, computed: computed, reused: reused))
        }
    }

    /// The summary as `--json` prints it (NaN and infinities as strings).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// A summary written by `jsonData` (the run's `report/summary.json`).
    public static func read(_ path: String) throws -> RunSummary {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(RunSummary.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Items computed by all stages (0 when a run found everything in the cache).
    public var computed: Int { stages.reduce(0) { $0 + $1.computed } }
}
