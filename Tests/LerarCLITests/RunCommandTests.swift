import Foundation
import Testing

/// `lerar run` as a user calls it: the documented defaults, a dry run, a broken session, a bad configuration.
@Suite struct RunCommandTests {
    @Test func printConfigShowsEveryDocumentedSection() throws {
        let scratch = Scratch()
        let run = try CLIRun.run(["run", "--print-config"], in: scratch.path)
        #expect(run.status == 0)
        for section in ["link:", "calibration:", "selection:", "registration:", "normalization:", "integration:", "output:"] {
            #expect(run.output.contains("\n\(section)\n"), "\(section) missing")
        }
        #expect(run.output.contains("  # Frames below this fraction"))
        try run.output.write(toFile: scratch.file("run.yaml"), atomically: true, encoding: .utf8)
        let again = try CLIRun.run(["run", "--config", "run.yaml", "--dry-run", "missing-folder", "-o", "out"], in: scratch.path)
        #expect(again.status != 0)
        #expect(!again.error.contains("bad configuration"), "the printed defaults must read back: \(again.error)")
    }

    @Test func dryRunLinksAndProcessesNothing_brokenLinksExitWithTheTree() throws {
        let scratch = Scratch()
        #expect(try CLIRun.run(["simulate", "--out", "session", "--size", "128", "128", "--lights", "3", "--filters", "L,R"], in: scratch.path).status == 0)
        let dry = try CLIRun.run(["run", "session", "-o", "out", "--dry-run", "--json"], in: scratch.path)
        #expect(dry.status == 0, "\(dry.error)")
        let summary = try JSONSerialization.jsonObject(with: Data(dry.output.utf8)) as? [String: Any]
        #expect(summary?["schema"] as? String == "lerar.run" && summary?["dryRun"] as? Bool == true)
        #expect((summary?["frames"] as? [Any])?.count == 6)
        #expect(!FileManager.default.fileExists(atPath: scratch.file("out/master")))

        try FileManager.default.removeItem(atPath: scratch.file("session/flats/R"))
        let broken = try CLIRun.run(["run", "session", "-o", "out"], in: scratch.path)
        #expect(broken.status == 1)
        #expect(broken.error.contains("nothing was processed") && broken.error.contains("✗"))

        try "integration:\n  rejection: sometimes\n".write(toFile: scratch.file("bad.yaml"), atomically: true, encoding: .utf8)
        let bad = try CLIRun.run(["run", "session", "-o", "out", "--config", "bad.yaml"], in: scratch.path)
        #expect(bad.status == 1 && bad.error.contains("bad.yaml") && bad.error.contains("integration.rejection"))
    }
}
