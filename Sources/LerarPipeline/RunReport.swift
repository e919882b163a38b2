import Foundation
import LerarCalibration
import LerarCore
import LerarIO

/// `report/index.html`: one self-contained page (inline CSS, SVG plots, PNG previews as data URIs) with the stacks,
/// the per-frame table and plots over time, rejection statistics, the calibration masters and the link diagram.
struct RunReport {
    let summary: RunSummary
    let plan: LinkPlan
    let configuration: PipelineConfiguration
    let folder: String

    /// Writes the page (and its previews as separate PNGs in `previews/`); returns the page's path.
    func write() throws -> String {
        try FileManager.default.createDirectory(atPath: (folder as NSString).appendingPathComponent("previews"), withIntermediateDirectories: true)
        var body = header() + stages() + stacks() + finishes() + plots() + frameTable() + calibrationMasters() + links() + warnings()
        body += "<footer>Written by \(escape(LerarVersion.application)). Log: \(escape(summary.log.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "—"))</footer>"
        let page = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Lerar run report</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>\(Self.style)</style></head>
        <body>\(body)</body></html>
        """
        let path = (folder as NSString).appendingPathComponent("index.html")
        try AtomicFileWriter.write(Data(page.utf8), to: path, overwrite: true)
        return path
    }

    static let style = """
    body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:16px;background:#111418;color:#dde3ea}
    h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #333;padding-bottom:4px;margin-top:32px}
    table{border-collapse:collapse;font-size:12px;width:100%}th,td{padding:3px 6px;border-bottom:1px solid #2a2f36;text-align:right}
    th:first-child,td:first-child,td.l{text-align:left}tr.rejected td{color:#ff8080}.ok{color:#5fd35f}.bad{color:#ff6060}
    .previews{display:flex;flex-wrap:wrap;gap:12px}.previews figure{margin:0}.previews img{max-width:100%;border:1px solid #333}
    figcaption{font-size:12px;color:#9aa4ae}.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:12px}
    svg{background:#181c21;border:1px solid #2a2f36}.status{padding:8px 12px;border-radius:4px;background:#1d2a1d}
    .status.fail{background:#3a1d1d}iframe{width:100%;height:480px;border:1px solid #333;background:#fff}footer{margin-top:32px;color:#777;font-size:12px}
    """

    func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    func number(_ value: Double?, _ format: String = "%.2f") -> String { value.map { String(format: format, $0) } ?? "—" }

    /// " (R 0.041 · G 0.050 · B 0.047)" for a colour stack's per-channel percentages, nothing for one channel.
    func byChannel(_ values: [Double]?) -> String {
        guard let values, values.count == 3 else { return "" }
        return "<br><small>" + zip(["R", "G", "B"], values).map { String(format: "%@ %.3f", $0.0, $0.1) }.joined(separator: " · ") + "</small>"
    }

    func name(_ path: String?) -> String { path.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "—" }

    func header() -> String {
        let accepted = summary.frames.filter(\.accepted).count
        let ok = summary.fullyLinked && !summary.stacks.isEmpty
        return """
        <h1>Lerar run report</h1>
        <p class="status\(ok ? "" : " fail")" id="status">\(summary.frames.count) lights, \(accepted) accepted, \(summary.stacks.filter { $0.master != nil }.count) stacks\
        \(summary.fullyLinked ? "" : " — <span class=bad>✗ broken calibration links</span>") · \(number(summary.seconds, "%.1f")) s · output \(escape(summary.output))</p>
        """
    }

    func stages() -> String {
        let rows = summary.stages.map { "<tr><td>\(escape($0.stage))</td><td>\($0.computed)</td><td>\($0.reused)</td></tr>" }.joined()
        return "<h2>Stages</h2><table id=stages><tr><th>stage</th><th>computed</th><th>from cache</th></tr>\(rows)</table>"
    }

    func stacks() -> String {
        var html = "<h2>Stacks</h2><table id=stacks><tr><th>stack</th><th>filter</th><th>panel</th><th>frames</th><th>rejected frames</th><th>rejection</th><th>low %</th><th>high %</th><th>crop</th><th>master</th></tr>"
        for stack in summary.stacks {
            html += "<tr><td>\(escape(stack.name))</td><td>\(escape(stack.filter))</td><td>\(escape(stack.panel))</td><td>\(stack.frames)</td><td>\(stack.rejectedFrames)</td>"
            html += "<td>\(escape(stack.rejection ?? stack.skipped ?? "—"))</td><td>\(number(stack.rejectedLowPercent, "%.3f"))\(byChannel(stack.rejectedLowPercentByChannel))</td><td>\(number(stack.rejectedHighPercent, "%.3f"))\(byChannel(stack.rejectedHighPercentByChannel))</td>"
            html += "<td>\(stack.crop.map { "\($0[2])×\($0[3]) at \($0[0]),\($0[1])" } ?? "—")</td><td class=l>\(escape(name(stack.autocropped ?? stack.master)))</td></tr>"
        }
        html += "</table><div class=previews id=stack-previews>"
        for stack in summary.stacks {
            guard let path = stack.autocropped ?? stack.master, let image = try? ImageFile.read(path) else { continue }
            html += figure(PreviewRenderer.png(image), file: "stack_\(stack.name).png", caption: "\(name(path)) (autostretched)")
        }
        for (panel, preview) in panelPreviews() {
            html += figure(preview.data, file: preview.file, caption: "panel \(panel): \(preview.filters.joined(separator: ", ")) side by side")
        }
        return html + "</div>"
    }

    /// Per finished panel: its steps, the PSF, the deconvolution's before/after crop and the final image.
    func finishes() -> String {
        guard !summary.finishes.isEmpty else { return "" }
        var html = "<h2>Finish</h2>"
        for record in summary.finishes {
            html += "<h3>Panel \(escape(record.panel)): \(escape(FinishRoles.order.filter { record.inputs[$0] != nil }.joined()))</h3>"
            html += "<table class=finish><tr><th>step</th><th>s</th><th>what it did</th></tr>"
            for step in record.steps { html += "<tr><td>\(escape(step.name))</td><td>\(number(step.seconds))</td><td class=l>\(escape(step.detail))</td></tr>" }
            html += "</table>"
            if let psf = record.psf {
                html += "<p id=psf>PSF (elliptical Moffat, from \(psf.starCount) stars of \(escape(record.psfReferences.map(name).joined(separator: ", ")).isEmpty ? "the master" : escape(record.psfReferences.map(name).joined(separator: ", ")))): "
                    + String(format: "FWHM %.2f × %.2f px, angle %.0f°, β %.2f", psf.fwhmMajor, psf.fwhmMinor, psf.angle, psf.beta) + "</p>"
            }
            for note in record.notes { html += "<p>note: \(escape(note))</p>" }
            html += "<div class=previews>"
            if let psf = record.outputs.first(where: { $0.hasSuffix("PSF.png") }), let data = FileManager.default.contents(atPath: psf) {
                html += figure(data, file: "finish_\(record.panel)_psf.png", caption: "the PSF (square-root stretch)")
            }
            if let crop = record.deconvolutionCrop, let data = FileManager.default.contents(atPath: crop) {
                html += figure(data, file: "finish_\(record.panel)_deconvolution.png", caption: "deconvolution: before (left) and after (right), 1:1 enlarged ×3")
            }
            if let preview = record.preview, let data = FileManager.default.contents(atPath: preview) {
                html += figure(data, file: "finish_\(record.panel)_final.png", caption: "\(name(preview)): the final image")
            }
            html += "</div>"
        }
        return html
    }

    /// Per panel with several filters, their (cropped) masters side by side in L, R, G, B, … order.
    func panelPreviews() -> [(String, (data: Data, file: String, filters: [String]))] {
        let order = ["L", "R", "G", "B", "Ha", "OIII", "SII"]
        var result: [(String, (Data, String, [String]))] = []
        for panel in Set(summary.stacks.map(\.panel)).sorted() {
            let stacks = summary.stacks.filter { $0.panel == panel && $0.master != nil }
                .sorted { (order.firstIndex(of: $0.filter) ?? 99, $0.filter) < (order.firstIndex(of: $1.filter) ?? 99, $1.filter) }
            guard stacks.count > 1 else { continue }
            let images = stacks.compactMap { try? ImageFile.read($0.autocropped ?? $0.master!) }
            guard images.count == stacks.count else { continue }
            let file = "panel_\(LinkFormatting.safe(panel))_filters.png"
            result.append((panel, (PreviewRenderer.sideBySide(images), file, stacks.map(\.filter))))
        }
        return result
    }

    func figure(_ png: Data, file: String, caption: String) -> String {
        let path = ((folder as NSString).appendingPathComponent("previews") as NSString).appendingPathComponent(LinkFormatting.safe(file))
        try? AtomicFileWriter.write(png, to: path, overwrite: true)
        return "<figure><img alt=\"\(escape(caption))\" src=\"data:image/png;base64,\(png.base64EncodedString())\"><figcaption>\(escape(caption))</figcaption></figure>"
    }

    func frameTable() -> String {
        var html = "<h2>Frames</h2><table id=frames><tr><th>frame</th><th>stack</th><th>time</th><th>stars</th><th>FWHM px</th><th>ecc.</th><th>SNR</th><th title=\"PSF signal weight of the stack's best, compared with selection.minimumWeight\">sel. weight</th><th title=\"the integration's weight of the stack's best\">weight</th><th>background</th><th>reg. RMS px</th><th>LN scale</th><th>rej. low %</th><th>rej. high %</th><th>status</th></tr>"
        for f in summary.frames {
            html += "<tr class=\"\(f.accepted ? "accepted" : "rejected")\"><td>\(escape(name(f.path)))</td><td class=l>\(escape(f.stack))</td><td class=l>\(escape(f.date ?? "—"))</td>"
            html += "<td>\(f.stars.map(String.init) ?? "—")</td><td>\(number(f.fwhm))</td><td>\(number(f.eccentricity))</td><td>\(number(f.snr, "%.1f"))</td><td>\(number(f.selectionWeight, "%.3f"))</td><td>\(number(f.weight, "%.3f"))</td>"
            html += "<td>\(number(f.background, "%.5f"))</td><td>\(number(f.registrationRMS, "%.3f"))</td><td>\(number(f.lnScale, "%.3f"))</td>"
            html += "<td>\(number(f.rejectedLowPercent, "%.3f"))</td><td>\(number(f.rejectedHighPercent, "%.3f"))</td>"
            html += "<td class=l>\(f.accepted ? "<span class=ok>✓</span>" : "<span class=bad>✗ \(escape(f.rejection ?? ""))</span>")</td></tr>"
        }
        return html + "</table>"
    }

    func plots() -> String {
        let metrics: [(String, (RunSummary.Frame) -> Double?)] = [("FWHM (px)", { $0.fwhm }), ("Eccentricity", { $0.eccentricity }), ("SNR", { $0.snr }),
                                                                  ("Integration weight (of the stack's best)", { $0.weight }), ("Background", { $0.background })]
        let times = summary.frames.map { $0.date.flatMap(Self.parseDate) }
        let useTime = times.allSatisfy { $0 != nil }
        var html = "<h2>Frames over time</h2><p>One line per stack; <span class=bad>✗</span> marks rejected frames. X: \(useTime ? "time of exposure (DATE-OBS)" : "frame order").</p><div class=plots id=plots>"
        for (title, value) in metrics { html += plot(title: title, value: value, x: useTime ? times.map { $0! } : summary.frames.indices.map(Double.init)) }
        return html + "</div>"
    }

    static func parseDate(_ text: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let zoned = trimmed.hasSuffix("Z") || trimmed.contains("+") ? trimmed : trimmed + "Z"
        if let date = formatter.date(from: zoned) { return date.timeIntervalSince1970 }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: zoned)?.timeIntervalSince1970
    }

    func plot(title: String, value: (RunSummary.Frame) -> Double?, x: [Double]) -> String {
        let width = 360.0, height = 200.0, left = 48.0, bottom = 24.0, top = 10.0, right = 10.0
        let points = summary.frames.indices.compactMap { i in value(summary.frames[i]).flatMap { $0.isFinite ? (i, x[i], $0) : nil } }
        var svg = "<figure><svg class=plot viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=img aria-label=\"\(escape(title))\">"
        guard let xMin = points.map(\.1).min(), let xMax = points.map(\.1).max(), let yMin = points.map(\.2).min(), let yMax = points.map(\.2).max() else {
            return svg + "<text x=20 y=100 fill=#888>no data</text></svg><figcaption>\(escape(title))</figcaption></figure>"
        }
        let xSpan = max(xMax - xMin, 1e-9), ySpan = max(yMax - yMin, abs(yMax) * 1e-3 + 1e-12)
        func px(_ v: Double) -> Double { left + (v - xMin) / xSpan * (width - left - right) }
        func py(_ v: Double) -> Double { height - bottom - (v - yMin + 0.05 * ySpan) / (1.1 * ySpan) * (height - bottom - top) }
        svg += "<line x1=\(left) y1=\(height - bottom) x2=\(width - right) y2=\(height - bottom) stroke=#555 />"
        svg += "<text x=4 y=\(top + 8) fill=#9aa4ae font-size=10>\(String(format: "%.4g", yMax))</text><text x=4 y=\(height - bottom) fill=#9aa4ae font-size=10>\(String(format: "%.4g", yMin))</text>"
        let colours = ["#7fb3ff", "#ff9f5f", "#6fdc8c", "#d58cff", "#ffd95f", "#5fe0e0"]
        for (n, stack) in Array(Set(summary.frames.map(\.stack))).sorted().enumerated() {
            let mine = points.filter { summary.frames[$0.0].stack == stack }.sorted { $0.1 < $1.1 }
            let colour = colours[n % colours.count]
            let line = mine.map { String(format: "%.1f,%.1f", px($0.1), py($0.2)) }.joined(separator: " ")
            svg += "<polyline fill=none stroke=\"\(colour)\" stroke-width=1.2 points=\"\(line)\"><title>\(escape(stack))</title></polyline>"
            for point in mine {
                let frame = summary.frames[point.0]
                if frame.accepted {
                    svg += String(format: "<circle cx=%.1f cy=%.1f r=2.5 fill=\"%@\"><title>%@</title></circle>", px(point.1), py(point.2), colour, escape(name(frame.path)))
                } else {
                    svg += String(format: "<text class=rejected x=%.1f y=%.1f fill=#ff5050 font-size=12 text-anchor=middle>✗<title>%@: %@</title></text>",
                                  px(point.1), py(point.2) + 4, escape(name(frame.path)), escape(frame.rejection ?? ""))
                }
            }
        }
        return svg + "</svg><figcaption>\(escape(title))</figcaption></figure>"
    }

    func calibrationMasters() -> String {
        var html = "<h2>Calibration masters</h2><table id=masters><tr><th>master</th><th>frames</th><th>rejection</th></tr>"
        for master in summary.masters { html += "<tr><td>\(escape(name(master.path)))</td><td>\(master.frames)</td><td>\(escape(master.rejection))</td></tr>" }
        html += "</table><div class=previews>"
        if configuration.output.previews {
            for master in summary.masters {
                guard let image = try? ImageFile.read(master.path) else { continue }
                html += figure(PreviewRenderer.png(image, maxWidth: 320), file: name(master.path) + ".png", caption: "\(name(master.path)) (autostretched)")
            }
        }
        return html + "</div>"
    }

    func links() -> String {
        let diagram = LinkDiagramHTML.render(plan, title: "Linked files")
        return "<h2>Linked files</h2><iframe id=links title=\"link diagram\" srcdoc=\"\(escape(diagram))\"></iframe>"
    }

    func warnings() -> String {
        let skipped = summary.skipped.map { "<li>skipped \(escape($0.path)): \(escape($0.reason))</li>" }
        let warned = summary.warnings.map { "<li>\(escape($0))</li>" }
        guard !(skipped + warned).isEmpty else { return "<h2>Warnings</h2><p id=warnings>none</p>" }
        return "<h2>Warnings</h2><ul id=warnings>\((warned + skipped).joined())</ul>"
    }
}
