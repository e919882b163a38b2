/// How frames are grouped and linked. Defaults are stricter than WBPP's (see shared/reference/wbpp.md §2–3):
/// a dark must match gain, offset, camera and temperature, not only binning and size; flats are taken per night.
public struct LinkRules: Sendable, Codable, Equatable {
    /// Where a frame's type comes from when IMAGETYP and its folder or file name disagree.
    public enum TypeSource: String, Sendable, Codable, CaseIterable {
        /// The folder or file name (`flats/`, `DARK_…`) wins: capture programs mislabel (CCDSoft writes some flats
        /// as 'Light Frame'), while folders are sorted by hand. Default.
        case path
        /// IMAGETYP wins, as in WBPP.
        case header
    }

    /// When a grouping keyword splits groups (WBPP's keyword modes).
    public enum KeywordMode: String, Sendable, Codable {
        /// Calibration only: frames with other values get other masters, but all integrate into one stack (default,
        /// as a new WBPP keyword). E.g. NIGHT: each night's lights take that night's flats.
        case pre
        /// Integration only: separate stacks, shared masters. E.g. a rotator angle.
        case post
        /// Both.
        case both
    }

    /// Sensor temperatures within this many °C count as the same (default 2 °C; WBPP has no temperature rule).
    public var temperatureTolerance: Double = 2
    /// Exposures within this fraction (or 0.01 s) count as equal; dark-flats must match their flats this closely.
    public var exposureTolerance: Double = 0.01
    /// Extra keywords that split groups, each optionally with `:pre` (default), `:post` or `:both`
    /// (e.g. `NIGHT`, `ROTATOR:post`, `PANEL:both`). Values come from the header or from `KEY_value` in paths.
    public var groupBy: [String] = []
    /// Reproduce WBPP's looser rules: closest-exposure dark in either direction, no gain/offset/temperature/camera
    /// checks unless named in `groupBy`.
    public var wbppCompatible = false
    /// Which wins when IMAGETYP and the path disagree (default `path`; the tree shows every conflict with ⚠).
    public var typeFrom = TypeSource.path
    /// Flats (and the light groups they calibrate) are split by observing night, and lights take their own night's
    /// flats, else the nearest in time (warned): flats change when the camera is rotated or dust moves. Darks and
    /// bias are shared across nights. Default true.
    public var flatsPerNight = true
    /// Calibration groups with fewer frames than this are linked with a warning (default 5): below it rejection
    /// cannot remove outliers (WBPP uses percentile clipping under 6) and the master adds ≥ 10 % to each light's noise.
    public var minimumFrames = 5

    public init(temperatureTolerance: Double = 2, groupBy: [String] = [], wbppCompatible: Bool = false,
                typeFrom: TypeSource = .path, flatsPerNight: Bool = true, minimumFrames: Int = 5) {
        self.temperatureTolerance = temperatureTolerance
        self.groupBy = groupBy.map { $0.uppercased() }
        self.wbppCompatible = wbppCompatible
        self.typeFrom = typeFrom
        self.flatsPerNight = flatsPerNight
        self.minimumFrames = minimumFrames
    }

    enum CodingKeys: String, CodingKey { case temperatureTolerance, exposureTolerance, groupBy, wbppCompatible, typeFrom, flatsPerNight, minimumFrames }

    /// Plans written before a field existed read with its default.
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = LinkRules()
        temperatureTolerance = try values.decodeIfPresent(Double.self, forKey: .temperatureTolerance) ?? defaults.temperatureTolerance
        exposureTolerance = try values.decodeIfPresent(Double.self, forKey: .exposureTolerance) ?? defaults.exposureTolerance
        groupBy = try values.decodeIfPresent([String].self, forKey: .groupBy) ?? []
        wbppCompatible = try values.decodeIfPresent(Bool.self, forKey: .wbppCompatible) ?? false
        typeFrom = try values.decodeIfPresent(TypeSource.self, forKey: .typeFrom) ?? defaults.typeFrom
        flatsPerNight = try values.decodeIfPresent(Bool.self, forKey: .flatsPerNight) ?? defaults.flatsPerNight
        minimumFrames = try values.decodeIfPresent(Int.self, forKey: .minimumFrames) ?? defaults.minimumFrames
    }

    /// The grouping keywords with their modes (`ROTATOR:post` → ("ROTATOR", .post)); an unknown mode is refused.
    public func keywords() throws -> [(name: String, mode: KeywordMode)] {
        try groupBy.map { entry in
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            guard let name = parts.first, !name.isEmpty else { throw CalibrationError.badGroupingKeyword(entry) }
            guard parts.count == 2 else { return (name, .pre) }
            guard let mode = KeywordMode(rawValue: parts[1].lowercased()) else { throw CalibrationError.badGroupingKeyword(entry) }
            return (name, mode)
        }
    }

    /// Keyword names that split calibration groups (modes pre and both).
    public var calibrationKeys: [String] { ((try? keywords()) ?? []).filter { $0.mode != .post }.map(\.name) }
    /// Keyword names that split stacks (modes post and both).
    public var integrationKeys: [String] { ((try? keywords()) ?? []).filter { $0.mode != .pre }.map(\.name) }
    /// Every keyword name.
    public var keywordNames: [String] { ((try? keywords()) ?? []).map(\.name) }

    /// Whether two exposures are the same within tolerance (both unknown also counts).
    public func sameExposure(_ a: Double?, _ b: Double?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return abs(a - b) <= max(0.01, exposureTolerance * max(a, b))
    }
}
