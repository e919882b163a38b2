import Foundation
import LerarPipeline
import Testing

/// The resume cache's journals: several writers, lines decoded only when asked for, lines cut short ignored.
@Suite struct StepCacheTests {
    struct Result: Codable, Equatable { var stars: Int }

    @Test func journalsOfSeveralWritersAreReadTogether_theLastRecordWins_aCutLineIsIgnored() throws {
        let folder = NSTemporaryDirectory() + "lerar-cache-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try StepCache(folder: folder)
        let first = StepCache.key("measure", ["a"]), second = StepCache.key("measure", ["b"]), third = StepCache.key("measure", ["c"])
        try run.store(first, step: "measure", outputs: [], payload: Result(stars: 1))
        // Two steps on other hosts, each with its own journal; the second stores `first` again with a new result.
        let stepA = try StepCache(folder: folder, writer: "hostA-1")
        try stepA.store(second, step: "measure", outputs: [], payload: Result(stars: 2))
        let stepB = try StepCache(folder: folder, writer: "hostB-2")
        try stepB.store(first, step: "measure", outputs: [], payload: Result(stars: 10))
        // A writer killed mid-line.
        let cut = folder + "/journal-hostC-3.jsonl"
        try Data("{\"key\":\"\(third)\",\"outputs\":[],\"payload\":\"{\\\"sta".utf8).write(to: URL(fileURLWithPath: cut))

        #expect(StepCache.journals(in: folder).map { ($0 as NSString).lastPathComponent }
                == ["journal.jsonl", "journal-hostA-1.jsonl", "journal-hostB-2.jsonl", "journal-hostC-3.jsonl"])
        let reader = try StepCache(folder: folder)
        #expect(reader.payload(first, as: Result.self) == Result(stars: 10))
        #expect(reader.payload(second, as: Result.self) == Result(stars: 2))
        #expect(reader.record(third) == nil)
        #expect(reader.intact(second) != nil)
        #expect(StepCache.allRecords(in: folder).map(\.key) == [first, second, first])
    }
}
