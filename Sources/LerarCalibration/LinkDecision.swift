/// The outcome of linking one role (bias, dark, flat, dark-flat) for one group.
public struct LinkDecision: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// Linked, nothing to worry about.
        case ok
        /// Linked, with a caveat the user should read (scaled dark, bias instead of dark-flats, forced link).
        case warning
        /// No valid master: the group cannot be calibrated properly.
        case missing
        /// Not needed (a master dark of the light's exposure already contains the bias).
        case notNeeded
    }

    public enum Role: String, Sendable, Codable, CaseIterable {
        case bias, dark, flat, darkFlat

        public var label: String { self == .darkFlat ? "dark-flat" : rawValue }
    }

    public var role: Role
    public var status: Status
    /// Id of the linked group (for a flat's calibration: the dark-flat, bias or dark group).
    public var group: String?
    /// Why: what was linked and how it fits, or why nothing could be.
    public var reason: String
    /// For a missing link: the closest candidate that was rejected, and why.
    public var nearestCandidate: String?
    public var nearestCandidateRejection: String?
    /// Factor the dark is scaled by (light exposure / dark exposure) when it is not the light's exposure.
    public var darkScale: Double?
    /// Set by --overrides; `violations` lists the rules a forced link breaks.
    public var forced: Bool = false
    public var violations: [String] = []
}

/// Everything linked to one light group.
public struct LightGroupLinks: Sendable, Codable, Equatable {
    public var lightGroup: String
    public var bias: LinkDecision
    public var dark: LinkDecision
    public var flat: LinkDecision
    /// How the linked flat is itself calibrated (dark-flat, else bias, else a dark of its exposure).
    public var flatCalibration: LinkDecision?
    /// A Local Normalization reference forced through --overrides (e.g. one per mosaic panel).
    public var lnReference: String?

    /// All links valid (possibly with warnings).
    public var fullyLinked: Bool {
        [bias, dark, flat].allSatisfy { $0.status != .missing }
            && (flat.status == .notNeeded || (flatCalibration?.status ?? .missing) != .missing)
    }

    /// Decisions in display order.
    public var decisions: [LinkDecision] { [bias, dark, flat] + (flatCalibration.map { [$0] } ?? []) }
}
