import Foundation
import LerarIO
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

    /// An output is intact while its content is; a hash given by its writer is the one a read-back makes; a record
    /// from an earlier Lerar (a whole-file hash without "b:") is not trusted, and counted.
    @Test func outputsAreVerifiedByTheirBlockHash_andEarlierHashesAreRecomputed() throws {
        let folder = NSTemporaryDirectory() + "lerar-cache-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = try StepCache(folder: folder)
        let output = folder + "/out.bin", bytes = [UInt8](repeating: 3, count: 5000)
        try Data(bytes).write(to: URL(fileURLWithPath: output))
        let given = StepCache.key("register", ["given"]), readBack = StepCache.key("register", ["read"])
        let hash = bytes.withUnsafeBytes { ContentHash.ofParts([$0]) }
        try cache.store(given, step: "register", outputs: [output], payload: Result(stars: 1), hashes: [output: hash])
        try cache.store(readBack, step: "register", outputs: [output], payload: Result(stars: 1))
        #expect(cache.record(given)?.outputs.first?.hash == hash && cache.record(readBack)?.outputs.first?.hash == hash)
        #expect(hash.hasPrefix("b:"))
        let reader = try StepCache(folder: folder)
        #expect(reader.intact(given) != nil && reader.outputsWithEarlierHashes == 0)
        // The same record as an earlier Lerar wrote it: the whole file's XXH64.
        let journal = folder + "/journal.jsonl"
        let text = try String(contentsOfFile: journal, encoding: .utf8).replacingOccurrences(of: hash, with: String(hash.dropFirst(2)))
        try text.write(toFile: journal, atomically: true, encoding: .utf8)
        let earlier = try StepCache(folder: folder)
        #expect(earlier.intact(given) == nil)
        #expect(earlier.outputsWithEarlierHashes == 1)
    }
}
