import Foundation

/// Headless Chromium for tests of our HTML pages (installed by `make test`, apt package chromium).
public enum HeadlessBrowser {
    public struct NotFound: Error, CustomStringConvertible {
        public var description: String { "headless Chromium not found: `make test` installs it (apt package chromium)" }
    }

    public static var path: String? {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for folder in ["/usr/bin", "/usr/local/bin", "/snap/bin"] where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }

    /// Runs the browser with `arguments`; returns its standard output and its log (standard error).
    public static func run(_ arguments: [String]) throws -> (output: String, log: String) {
        guard let browser = path else { throw NotFound() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                             "--user-data-dir=" + NSTemporaryDirectory() + "lerar-chromium-" + UUID().uuidString] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (output, log)
    }

    /// Console messages and uncaught errors in a browser log.
    public static func consoleLines(_ log: String) -> [String] {
        log.split(separator: "\n").map(String.init).filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
    }
}
