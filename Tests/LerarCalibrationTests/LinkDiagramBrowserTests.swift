import Foundation
import Testing
@testable import LerarCalibration

/// The HTML diagram opened in a real browser (headless Chromium, installed by `make test`).
@Suite struct LinkDiagramBrowserTests {
    static var chromium: String? {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for folder in ["/usr/bin", "/usr/local/bin", "/snap/bin"] where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }

    func runBrowser(_ arguments: [String]) throws -> (String, String) {
        let browser = try #require(Self.chromium, "headless Chromium not found: `make test` installs it (apt package chromium)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                             "--user-data-dir=" + NSTemporaryDirectory() + "lerar-chromium-" + UUID().uuidString] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (output, errors)
    }

    @Test func theDiagramRendersWithTheRightMarks() throws {
        let session = try LinkSession()
        try session.remove("flats/R")
        let plan = try session.plan()
        let page = session.path + "/links.html"
        try Data(LinkDiagramHTML.render(plan).utf8).write(to: URL(fileURLWithPath: page))

        let screenshot = session.path + "/links.png"
        let (_, log) = try runBrowser(["--window-size=1200,900", "--screenshot=\(screenshot)", "file://\(page)"])
        let consoleLines = log.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
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
