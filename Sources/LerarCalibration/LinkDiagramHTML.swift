import Foundation

/// One self-contained HTML page (inline SVG and CSS, no scripts, no network) showing a plan: light groups on the
/// left, calibration groups on the right, a line per link with a green ✓, amber ⚠ or red ✗, reasons on hover and
/// in a table below. Marks carry the classes `mark ok|warning|missing` so tests can count them in the DOM.
public enum LinkDiagramHTML {
    static let rowHeight = 64.0, boxHeight = 48.0, leftX = 20.0, rightX = 640.0, boxWidth = 380.0, width = 1180.0

    public static func render(_ plan: LinkPlan, title: String = "Lerar Link") -> String {
        let lights = plan.lights.compactMap { links in plan.group(links.lightGroup).map { ($0, links) } }
        let order: [FrameType] = [.flat, .darkFlat, .dark, .bias]
        let masters = plan.groups.filter { $0.type != .light }.sorted { (order.firstIndex(of: $0.type)!, $0.id) < (order.firstIndex(of: $1.type)!, $1.id) }
        var masterRow: [String: Int] = [:]
        for (row, group) in masters.enumerated() { masterRow[group.id] = row }
        // Each light is as tall as its missing links need, so ✗ marks never overlap.
        var lightTop: [Double] = []
        var y = 50.0
        for (_, links) in lights {
            lightTop.append(y)
            let missing = links.decisions.filter { $0.status == .missing }.count
            y += max(rowHeight, boxHeight + Double(missing) * 22 + 16)
        }
        let height = max(y, 50 + Double(masters.count) * rowHeight) + 20
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"calibration links\">\n"
        svg += "<text x=\"\(leftX)\" y=\"30\" class=\"heading\">Light groups</text><text x=\"\(rightX)\" y=\"30\" class=\"heading\">Calibration groups</text>\n"
        var links = ""
        var marks = ""
        var boxes = ""
        for (row, group) in masters.enumerated() {
            let top = 50 + Double(row) * rowHeight
            boxes += box(x: rightX, y: top, group: group, status: nil)
        }
        for (index, (light, lightLinks)) in lights.enumerated() {
            let top = lightTop[index]
            let status: LinkDecision.Status = lightLinks.fullyLinked ? .ok : .missing
            boxes += box(x: leftX, y: top, group: light, status: status)
            var missingRow = 0
            for decision in [lightLinks.bias, lightLinks.dark, lightLinks.flat] {
                let fromY = top + boxHeight / 2
                if decision.status == .notNeeded { continue }
                if let id = decision.group, let row = masterRow[id] {
                    let toY = 50 + Double(row) * rowHeight + boxHeight / 2
                    links += line(x1: leftX + boxWidth, y1: fromY, x2: rightX, y2: toY, status: decision.status)
                    marks += mark(x: (leftX + boxWidth + rightX) / 2 + Double(decision.role == .flat ? -40 : decision.role == .dark ? 0 : 40),
                                  y: fromY + (toY - fromY) * (decision.role == .flat ? 0.3 : decision.role == .dark ? 0.5 : 0.7),
                                  decision: decision, subject: light.id)
                } else if decision.status == .missing {
                    let markY = top + boxHeight + 8 + Double(missingRow) * 22
                    missingRow += 1
                    marks += mark(x: leftX + 14, y: markY, decision: decision, subject: light.id)
                    marks += "<text x=\"\(leftX + 30)\" y=\"\(markY + 5)\" class=\"missing-text\">no \(decision.role.label): \(escape(decision.reason))</text>\n"
                }
            }
            if let calibration = lightLinks.flatCalibration, calibration.status == .missing {
                let markY = top + boxHeight + 8 + Double(missingRow) * 22
                marks += mark(x: leftX + 14, y: markY, decision: calibration, subject: lightLinks.flat.group ?? light.id)
                marks += "<text x=\"\(leftX + 30)\" y=\"\(markY + 5)\" class=\"missing-text\">flat not calibratable: \(escape(calibration.reason))</text>\n"
            }
        }
        // Flats to their dark-flat / bias, drawn on the right as arcs.
        for flat in plan.flats {
            guard let from = masterRow[flat.flatGroup], let id = flat.calibration.group, let to = masterRow[id] else { continue }
            let y1 = 50 + Double(from) * rowHeight + boxHeight / 2, y2 = 50 + Double(to) * rowHeight + boxHeight / 2
            let bend = rightX + boxWidth + 30 + Double(abs(to - from)) * 4
            links += "<path d=\"M \(rightX + boxWidth) \(y1) C \(bend) \(y1), \(bend) \(y2), \(rightX + boxWidth) \(y2)\" class=\"link \(flat.calibration.status.rawValue)\"/>\n"
            marks += mark(x: bend - 8, y: (y1 + y2) / 2, decision: flat.calibration, subject: flat.flatGroup)
        }
        svg += links + boxes + marks + "</svg>"
        return page(title: title, plan: plan, svg: svg)
    }

    static func box(x: Double, y: Double, group: FrameGroup, status: LinkDecision.Status?) -> String {
        let kind = group.type.rawValue + (status.map { " " + $0.rawValue } ?? "")
        return """
        <g class="group \(kind)"><title>\(escape(group.id))</title><rect x="\(x)" y="\(y)" width="\(boxWidth)" height="\(boxHeight)" rx="6"/>\
        <text x="\(x + 10)" y="\(y + 20)" class="name">\(escape(group.type.label.capitalized + (group.filter.map { " " + $0 } ?? "") + (group.exposure.map { " · " + LinkFormatting.seconds($0) } ?? "")))</text>\
        <text x="\(x + 10)" y="\(y + 38)" class="detail">\(escape(group.summary))</text></g>

        """
    }

    static func line(x1: Double, y1: Double, x2: Double, y2: Double, status: LinkDecision.Status) -> String {
        "<line x1=\"\(x1)\" y1=\"\(y1)\" x2=\"\(x2)\" y2=\"\(y2)\" class=\"link \(status.rawValue)\"/>\n"
    }

    static func mark(x: Double, y: Double, decision: LinkDecision, subject: String) -> String {
        let symbol = LinkTreeFormatter.mark(decision.status)
        var hover = "\(decision.role.label) for \(subject): \(decision.reason)"
        if let nearest = decision.nearestCandidate { hover += " — nearest candidate: \(nearest)" + (decision.nearestCandidateRejection.map { ", rejected: \($0)" } ?? "") }
        return "<g class=\"mark \(decision.status.rawValue)\"><title>\(escape(hover))</title><circle cx=\"\(x)\" cy=\"\(y)\" r=\"10\"/><text x=\"\(x)\" y=\"\(y + 5)\" text-anchor=\"middle\">\(symbol)</text></g>\n"
    }

    static func page(title: String, plan: LinkPlan, svg: String) -> String {
        var rows = ""
        for links in plan.lights {
            for decision in links.decisions {
                rows += "<tr class=\"\(decision.status.rawValue)\"><td>\(escape(links.lightGroup))</td><td>\(decision.role.label)</td><td>\(LinkTreeFormatter.mark(decision.status))</td><td>\(escape(decision.reason))</td><td>\(escape([decision.nearestCandidate, decision.nearestCandidateRejection].compactMap { $0 }.joined(separator: " — rejected: ")))</td></tr>\n"
            }
        }
        let skipped = plan.skipped.map { "<li>\(escape($0.path)): \(escape($0.reason))</li>" }.joined()
        let cautions = (plan.warnings ?? []).map { "<li class=\"warning\">⚠ \(escape($0))</li>" }.joined() + plan.notes.map { "<li>\(escape($0))</li>" }.joined()
        let linked = plan.lights.filter(\.fullyLinked).count
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
        .heading { font: bold 15px system-ui, sans-serif; }
        .group rect { fill: #f4f6f8; stroke: #7a8793; }
        .group.light.ok rect { stroke: #2e7d32; stroke-width: 2; } .group.light.missing rect { stroke: #c62828; stroke-width: 2; }
        .name { font: bold 13px system-ui, sans-serif; } .detail { font: 11px system-ui, sans-serif; fill: #555; }
        .link { stroke-width: 2; fill: none; } .link.ok { stroke: #2e7d32; } .link.warning { stroke: #ef8f00; stroke-dasharray: 6 4; } .link.missing { stroke: #c62828; }
        .mark circle { stroke: white; stroke-width: 1.5; } .mark text { font: bold 13px system-ui, sans-serif; fill: white; }
        .mark.ok circle { fill: #2e7d32; } .mark.warning circle { fill: #ef8f00; } .mark.missing circle { fill: #c62828; }
        .missing-text { font: 11px system-ui, sans-serif; fill: #c62828; }
        table { border-collapse: collapse; margin-top: 16px; font-size: 13px; } td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
        tr.missing td { background: #fdecea; } tr.warning td { background: #fff4e0; }
        .legend span { margin-right: 18px; }
        </style></head><body>
        <h1>\(escape(title))</h1>
        <p>\(plan.frames.count) frames in \(plan.groups.count) groups; \(linked) of \(plan.lights.count) light groups fully linked; \(plan.skipped.count) files skipped.</p>
        <p class="legend"><span style="color:#2e7d32">✓ linked</span><span style="color:#ef8f00">⚠ linked with a caveat (hover for why)</span><span style="color:#c62828">✗ no valid master</span></p>
        \(svg)
        <table><thead><tr><th>light group</th><th>role</th><th></th><th>reason</th><th>nearest rejected candidate</th></tr></thead><tbody>
        \(rows)</tbody></table>
        \(cautions.isEmpty ? "" : "<h2>Notes</h2><ul>\(cautions)</ul>")
        \(skipped.isEmpty ? "" : "<h2>Skipped files</h2><ul>\(skipped)</ul>")
        </body></html>

        """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
