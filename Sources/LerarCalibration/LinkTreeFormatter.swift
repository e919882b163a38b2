/// The terminal view of a plan: each light group with its frame count, and under it bias, dark, flat and the
/// flat's dark-flat with ✓, ⚠ or ✗, the reason, and for every ✗ the nearest rejected candidate.
public enum LinkTreeFormatter {
    public static func mark(_ status: LinkDecision.Status) -> String {
        switch status {
        case .ok, .notNeeded: "✓"
        case .warning: "⚠"
        case .missing: "✗"
        }
    }

    public static func render(_ plan: LinkPlan, color: Bool) -> String {
        func paint(_ text: String, _ status: LinkDecision.Status) -> String {
            guard color else { return text }
            let code = switch status {
            case .ok, .notNeeded: "32"
            case .warning: "33"
            case .missing: "31;1"
            }
            return "\u{1B}[\(code)m\(text)\u{1B}[0m"
        }
        var lines: [String] = []
        let linked = plan.lights.filter(\.fullyLinked).count
        lines.append("Lerar Link: \(plan.frames.count) frames catalogued in \(plan.groups.count) groups, \(plan.skipped.count) skipped; \(linked) of \(plan.lights.count) light groups fully linked")
        lines.append("")
        for links in plan.lights {
            guard let light = plan.group(links.lightGroup) else { continue }
            let headStatus: LinkDecision.Status = links.fullyLinked ? (links.decisions.contains { $0.status == .warning } ? .warning : .ok) : .missing
            lines.append(paint(mark(headStatus), headStatus) + " " + light.summary + "   [\(light.id)]")
            if let reference = links.lnReference { lines.append("  │  LN reference (forced): \(reference)") }
            let rows = [links.bias, links.dark, links.flat]
            for (index, decision) in rows.enumerated() {
                let last = index == rows.count - 1
                lines.append("  " + (last ? "└─ " : "├─ ") + paint(mark(decision.status), decision.status) + " "
                             + decision.role.label.padding(toLength: 10, withPad: " ", startingAt: 0) + decision.reason)
                let indent = "  " + (last ? "   " : "│  ") + "    "
                if let nearest = decision.nearestCandidate {
                    lines.append(indent + "nearest candidate: \(nearest)" + (decision.nearestCandidateRejection.map { " — rejected: \($0)" } ?? ""))
                }
                if decision.role == .flat, let calibration = links.flatCalibration {
                    lines.append(indent + "└─ " + paint(mark(calibration.status), calibration.status) + " "
                                 + "dark-flat ".padding(toLength: 10, withPad: " ", startingAt: 0) + calibration.reason)
                    if let nearest = calibration.nearestCandidate {
                        lines.append(indent + "      nearest candidate: \(nearest)" + (calibration.nearestCandidateRejection.map { " — rejected: \($0)" } ?? ""))
                    }
                }
            }
            lines.append("")
        }
        if !plan.skipped.isEmpty {
            lines.append("Skipped files:")
            for file in plan.skipped { lines.append("  " + paint("✗", .missing) + " \(file.path): \(file.reason)") }
            lines.append("")
        }
        for warning in plan.warnings ?? [] { lines.append(paint("⚠", .warning) + " \(warning)") }
        for note in plan.notes { lines.append("note: \(note)") }
        return lines.joined(separator: "\n")
    }
}
