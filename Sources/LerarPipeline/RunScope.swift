import Foundation

/// Which share of a run one process does: the whole run (`lerar run`), only the link and the keys (`lerar plan`), or
/// the steps of one plan level given to it (`lerar step`, on a cluster node). A step computes its own share and takes
/// everything before it from the cache; finding that missing, it stops with `stepNotReady` instead of computing it
/// again beside the other tasks.
public enum RunScope: Sendable, Equatable {
    case all
    /// Link and key the run; compute nothing.
    case plan
    /// Build these calibration masters (group ids).
    case masters(Set<String>)
    /// Calibrate and measure these lights (raw paths).
    case calibrate(Set<String>)
    /// Register these lights (raw paths).
    case register(Set<String>)
    /// Build the LN references of these stacks (stack names).
    case lnReference(Set<String>)
    /// Fit the LN functions of these lights (raw paths).
    case normalize(Set<String>)
    /// Integrate these stacks (stack names).
    case integrate(Set<String>)
    /// Autocrop, finish and report.
    case final

    /// A share of a run started by `lerar step`: no lock on the output folder (the run that submitted it holds it),
    /// a journal of its own, files instead of frames held in memory.
    public var isStep: Bool { self != .all && self != .plan }

    /// The name of the share in logs and errors.
    public var name: String {
        switch self {
        case .all: "run"
        case .plan: "plan"
        case .masters: "masters"
        case .calibrate: "calibrate"
        case .register: "register"
        case .lnReference: "lnref"
        case .normalize: "normalize"
        case .integrate: "integrate"
        case .final: "final"
        }
    }

    /// The last stage this share reaches (the per-stack steps all live in the integration stage).
    var lastStage: RunStage {
        switch self {
        case .all, .final: .final
        case .plan: .link
        case .masters: .masters
        case .calibrate: .calibrate
        case .register: .register
        case .lnReference, .normalize, .integrate: .integrate
        }
    }

    /// Whether the run goes on to `stage`.
    func reaches(_ stage: RunStage) -> Bool { stage <= lastStage }
}

/// The stages of `lerar run`, in order.
enum RunStage: Int, Comparable {
    case link, masters, calibrate, register, integrate, final
    static func < (a: RunStage, b: RunStage) -> Bool { a.rawValue < b.rawValue }
}
