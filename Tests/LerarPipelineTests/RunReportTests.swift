import Foundation
import LerarPipeline
import LerarTestSupport
import Testing

/// The run report opened in headless Chromium: no console messages, the main sections present, previews valid PNGs.
@Suite struct RunReportTests {
    @Test func theReportRendersWithItsMainElements() throws {
        let session = try PipelineSession(name: "report", size: 192, filters: ["L", "R"], lights: 4, starless: true)
        defer { session.remove() }
        let summary = try session.run()
        let page = try #require(summary.report)
        let html = try String(contentsOfFile: page, encoding: .utf8)

        // Self-contained: no file or network references, previews embedded as PNG data.
        #expect(!html.contains("src=\"http") && !html.contains("src=\"file") && !html.contains("href=\"http"))
        let previews = html.components(separatedBy: "data:image/png;base64,").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(previews.count >= 2 + 1 + summary.masters.count, "stacks, the side-by-side panel, calibration masters")
        for preview in previews {
            let png = try #require(Data(base64Encoded: preview))
            #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
            #expect(width > 0 && width <= 1000 && height > 0)
        }

        let screenshot = session.folder + "/report.png"
        let (_, log) = try HeadlessBrowser.run(["--window-size=1280,2000", "--screenshot=\(screenshot)", "file://\(page)"])
        #expect(HeadlessBrowser.consoleLines(log).isEmpty, "console: \(HeadlessBrowser.consoleLines(log))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: screenshot)).count > 20_000)

        let (dom, _) = try HeadlessBrowser.run(["--dump-dom", "file://\(page)"])
        for id in ["status", "stages", "stacks", "stack-previews", "plots", "frames", "masters", "links", "warnings"] {
            #expect(dom.contains("id=\"\(id)\""), "missing #\(id)")
        }
        func count(_ marker: String) -> Int { dom.components(separatedBy: marker).count - 1 }
        #expect(count("<tr class=\"accepted\">") + count("<tr class=\"rejected\">") == summary.frames.count)
        #expect(count("<tr class=\"rejected\">") == 2, "the starless sub of each filter")
        #expect(count("<svg class=\"plot\"") == 5, "FWHM, eccentricity, SNR, weight, background")
        // A starless sub has no FWHM, eccentricity or SNR, and, rejected before the integration, no integration
        // weight: it is marked in the background plot.
        #expect(count("<text class=\"rejected\"") >= 2, "rejected frames marked in the plots that have their values")
        #expect(dom.contains("L, R side by side"))
        #expect(dom.contains("<iframe id=\"links\""))
    }
}
