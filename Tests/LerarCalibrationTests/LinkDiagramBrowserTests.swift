import Foundation
import LerarTestSupport
import Testing
@testable import LerarCalibration

/// The HTML diagram opened in a real browser (headless Chromium, installed by `make test`).
@Suite struct LinkDiagramBrowserTests {
    func runBrowser(_ arguments: [String]) throws -> (String, String) { try HeadlessBrowser.run(arguments) }

    @Test func theDiagramRendersWithTheRightMarks() throws {
        let session = try LinkSession()
        try session.remove("flats/R")
        let plan = try session.plan()
        let page = session.path + "/links.html"
        try Data(LinkDiagramHTML.render(plan).utf8).write(to: URL(fileURLWithPath: page))

        let screenshot = session.path + "/links.png"
        let (_, log) = try runBrowser(["--window-size=1200,900", "--screenshot=\(screenshot)", "file://\(page)"])
        let consoleLines = HeadlessBrowser.consoleLines(log)
        #expect(consoleLines.isEmpty, "browser console messages: \(consoleLines)")
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.count > 10_000 && png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]), "no PNG rendered")

        let (dom, _) = try runBrowser(["--dump-dom", "file://\(page)"])
        func count(_ marker: String) -> Int { dom.components(separatedBy: marker).count - 1 }
        // L: dark ✓ and flat ✓; R: dark ✓ and flat ✗; the L flat's dark-flat ✓. The bias is not needed (no mark).
        #expect(count("class=\"mark ok\"") == 4)
        #expect(count("class=\"mark missing\"") == 1)
        #expect(count("class=\"mark warning\"") == 0)
        #expect(dom.contains("no flat for filter R"))
        #expect(dom.contains("rejected: filter L, light is filter R"))
        #expect(count("<tr class=") == plan.lights.map { $0.decisions.count }.reduce(0, +))
    }
}
