import Foundation
import Testing
import LerarIO

/// Replays the fuzz seed corpus and every input that ever crashed a reader (`Fuzz/crashes/`, kept once fixed)
/// through the fuzz targets: a regression crashes this test process.
@Suite struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz").path

    static func inputs(_ kind: String, _ target: String) -> [String] {
        let folder = "\(root)/\(kind)/\(target)"
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted().map { "\(folder)/\($0)" }
    }

    @Test(arguments: FuzzTargets.names)
    func corpusAndPastCrashesReplay(target: String) throws {
        let seeds = Self.inputs("corpus", target), crashes = Self.inputs("crashes", target)
        #expect(seeds.count >= 5, "seed corpus of \(target) is missing (scripts/fuzz-seeds.sh makes it)")
        for file in seeds + crashes {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(data.withUnsafeBytes { FuzzTargets.run(target, $0) })
        }
    }
}
