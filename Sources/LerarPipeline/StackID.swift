import LerarCalibration
import LerarNormalization

/// A stack (WBPP's post-calibration group): lights of one binning, exposure, filter, colour kind and panel, plus any
/// stack-splitting keyword. Its name is its folder and file stem (`BIN-1_EXPTIME-300s_FILTER-L_OBJECT-M31`).
struct StackID: Hashable, Comparable, Sendable, CustomStringConvertible {
    let name: String

    /// The stack of `group`'s lights in `panel`; calibration-only keys such as the night do not split it.
    init(_ group: FrameGroup, panel: PanelIdentity, keys: [String], stackValues: [String: String] = [:]) {
        var parts = ["BIN-\(group.binning.split(separator: "x").first ?? "1")"]
        if let exposure = group.exposure { parts.append("EXPTIME-\(LinkFormatting.number(exposure))s") }
        parts.append("FILTER-\(LinkFormatting.safe(group.filter ?? "NoFilter"))")
        if group.bayerPattern != nil { parts.append("CFA") }
        for (key, value) in zip(keys, panel.values) where !value.isEmpty { parts.append("\(key)-\(LinkFormatting.safe(value))") }
        for (key, value) in stackValues.sorted(by: { $0.key < $1.key }) where !keys.contains(key) { parts.append("\(key)-\(LinkFormatting.safe(value))") }
        name = parts.joined(separator: "_")
    }

    var description: String { name }

    static func < (a: StackID, b: StackID) -> Bool { a.name < b.name }
}
