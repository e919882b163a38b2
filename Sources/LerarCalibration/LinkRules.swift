/// How frames are grouped and linked. Defaults are stricter than WBPP's (see shared/reference/wbpp.md §2–3):
/// a dark must match gain, offset, camera and temperature, not only binning and size.
public struct LinkRules: Sendable, Codable, Equatable {
    /// Sensor temperatures within this many °C count as the same (default 2 °C; WBPP has no temperature rule).
    public var temperatureTolerance: Double = 2
    /// Exposures within this fraction (or 0.01 s) count as equal; dark-flats must match their flats this closely.
    public var exposureTolerance: Double = 0.01
    /// Extra keywords that split groups (e.g. OBJECT or PANEL for mosaics, NIGHT, a rotator angle).
    public var groupBy: [String] = []
    /// Reproduce WBPP's looser rules: closest-exposure dark in either direction, no gain/offset/temperature/camera
    /// checks unless named in `groupBy`.
    public var wbppCompatible = false

    public init(temperatureTolerance: Double = 2, groupBy: [String] = [], wbppCompatible: Bool = false) {
        self.temperatureTolerance = temperatureTolerance
        self.groupBy = groupBy.map { $0.uppercased() }
        self.wbppCompatible = wbppCompatible
    }

    /// Whether two exposures are the same within tolerance (both unknown also counts).
    public func sameExposure(_ a: Double?, _ b: Double?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return abs(a - b) <= max(0.01, exposureTolerance * max(a, b))
    }
}
