import Foundation
import LerarIO

/// The resume cache of `lerar run`: a journal of finished steps (`cache/journal.jsonl`, one JSON line appended per
/// step as it finishes, so an interrupted run loses at most the step in flight). A step's key hashes what determines
/// its result — input file identities (path, size, modification time), the keys of the steps it consumes and its
/// own parameters — so a changed parameter changes that step's key and, through them, the keys of every later step,
/// and nothing before it (WBPP's cache rule, shared/reference/wbpp.md §8). Outputs are recorded with their size,
/// modification time and content hash (XXH64, computed as they are stored); a file altered since — even with its
/// size and time kept — is not reused. Inputs (raw frames, possibly hundreds of GB) are known by size and time.
/// Steps run by `lerar step` (on cluster nodes, many at once, over a shared filesystem) each append to a journal of
/// their own (`journal-<writer>.jsonl`: appends from several hosts to one file are not atomic on NFS); every
/// journal in the folder is read.
public final class StepCache: @unchecked Sendable {
    /// A file as it was when a step wrote it.
    public struct FileStamp: Codable, Sendable, Equatable {
        public var path: String
        public var size: Int64
        public var modified: Double
        /// XXH64 of the contents (outputs only).
        public var hash: String?
    }

    public struct Record: Codable, Sendable {
        public var key: String
        public var step: String
        public var outputs: [FileStamp]
        /// The step's result (JSON), e.g. a frame's measurement.
        public var payload: String?
        /// Its image was passed on in memory and never written: the result is known, the frame is not (a later run
        /// that needs the frame recomputes it).
        public var heldInMemory: Bool?
    }

    public static let version = "lerar-run-cache-1"
    public let journal: String
    private var records: [String: Record] = [:]
    /// Journal lines not decoded yet, by key: a cache of thousands of steps is opened by every `lerar step` task,
    /// which reads a few of them (decoding them all took 1.1 s per task for 6,000 records).
    private var undecoded: [String: Data] = [:]
    /// Outputs whose hash was checked in this run, by path, size, time and hash: each file is read once.
    private var verified = Set<String>()
    /// Outputs whose records hold an earlier Lerar's content hash, found by `unchanged`.
    private var earlierHashes = Set<String>()
    /// How many outputs were recorded with an earlier Lerar's content hash (their steps are computed again).
    public var outputsWithEarlierHashes: Int { lock.withLock { earlierHashes.count } }
    private let lock = NSLock()

    /// Opens (or starts) the journals in `folder`; unreadable lines (a write cut short) are ignored. `writer` names
    /// this process's own journal (`journal-<writer>.jsonl`); nil: the run's `journal.jsonl`.
    public init(folder: String, writer: String? = nil) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        journal = (folder as NSString).appendingPathComponent(writer.map { "journal-\($0).jsonl" } ?? "journal.jsonl")
        let decoder = JSONDecoder()
        for path in Self.journals(in: folder) {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            for line in data.split(separator: UInt8(ascii: "\n")) {
                if let key = Self.key(inLine: line) {
                    undecoded[key] = Data(line)
                    records[key] = nil
                } else if let record = try? decoder.decode(Record.self, from: Data(line)) {
                    records[record.key] = record
                    undecoded[record.key] = nil
                }
            }
        }
    }

    /// The journals of a cache folder: the run's own first, then the steps' in name order.
    public static func journals(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let steps = names.filter { $0.hasPrefix("journal-") && $0.hasSuffix(".jsonl") }.sorted()
        return (["journal.jsonl"] + steps).map { (folder as NSString).appendingPathComponent($0) }
    }

    /// Every record of the journals, in the order written (a key stored twice appears twice).
    public static func allRecords(in folder: String) -> [Record] {
        let decoder = JSONDecoder()
        return journals(in: folder).flatMap { path -> [Record] in
            guard let data = FileManager.default.contents(atPath: path) else { return [] }
            return data.split(separator: UInt8(ascii: "\n")).compactMap { try? decoder.decode(Record.self, from: Data($0)) }
        }
    }

    /// The record for `key`, whether or not its files are still there.
    public func record(_ key: String) -> Record? {
        lock.withLock {
            if let record = records[key] { return record }
            guard let line = undecoded.removeValue(forKey: key) else { return nil }
            // A line cut short by a killed writer does not decode: as if it were not there.
            let record = try? JSONDecoder().decode(Record.self, from: line)
            records[key] = record
            return record
        }
    }

    /// The key of a journal line as `store` writes it (sorted keys, so `"key":"<hex>"` comes early), without decoding
    /// the line; nil for a line written otherwise.
    static func key(inLine line: Data.SubSequence) -> String? {
        let marker = Array("\"key\":\"".utf8)
        guard let start = line.firstRange(of: marker)?.upperBound else { return nil }
        guard let end = line[start...].firstIndex(of: UInt8(ascii: "\"")), end > start,
              line[start..<end].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }) else { return nil }
        return String(decoding: line[start..<end], as: UTF8.self)
    }

    /// The record for `key` when every output it wrote is still there, unmodified (never for a frame held in memory).
    public func intact(_ key: String) -> Record? {
        guard let record = record(key), record.heldInMemory != true else { return nil }
        return record.outputs.allSatisfy(unchanged) ? record : nil
    }

    /// Whether a recorded output is still as written: same size and time, and the same contents.
    func unchanged(_ recorded: FileStamp) -> Bool {
        guard var current = Self.stamp(recorded.path), current.size == recorded.size, current.modified == recorded.modified,
              let hash = recorded.hash else { return false } // a record without a hash is not trusted
        // A whole-file XXH64 from before the block hash (stop 34) cannot be compared: the step is computed again.
        guard hash.hasPrefix("b:") else { lock.withLock { _ = earlierHashes.insert(recorded.path) }; return false }
        let identity = "\(recorded.path)|\(recorded.size)|\(recorded.modified)|\(hash)"
        if lock.withLock({ verified.contains(identity) }) { return true }
        current.hash = ContentHash.ofFile(recorded.path)
        guard current.hash == hash else { return false }
        lock.withLock { _ = verified.insert(identity) }
        return true
    }

    /// The decoded payload of `key`'s record (files not checked).
    public func payload<T: Decodable>(_ key: String, as type: T.Type) -> T? {
        guard let text = record(key)?.payload else { return nil }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try? decoder.decode(type, from: Data(text.utf8))
    }

    /// Records a finished step: its outputs as they are now, and its result.
    /// `heldInMemory`: the step's image went on in memory, unwritten (`outputs` then lists nothing).
    /// `hashes`: content hashes its writer made from the bytes it wrote (`ContentHash.ofParts`); other outputs are
    /// read back and hashed.
    public func store<T: Encodable>(_ key: String, step: String, outputs: [String], payload: T?, heldInMemory: Bool = false,
                                    hashes: [String: String] = [:]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A NaN in a result must never stop a run at the journal.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let text = try payload.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        let stamps = try outputs.compactMap { path -> FileStamp? in
            guard var stamp = Self.stamp(path) else { return nil }
            guard let hash = hashes[path] ?? ContentHash.ofFile(path) else {
                throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "cannot read back \(path) to record its content hash"])
            }
            stamp.hash = hash
            return stamp
        }
        let record = Record(key: key, step: step, outputs: stamps, payload: text, heldInMemory: heldInMemory ? true : nil)
        var line = try encoder.encode(record)
        line.append(UInt8(ascii: "\n"))
        try lock.withLock {
            if !FileManager.default.fileExists(atPath: journal) { _ = FileManager.default.createFile(atPath: journal, contents: nil) }
            guard let handle = FileHandle(forWritingAtPath: journal) else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: journal]) }
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
            records[key] = record
            undecoded[key] = nil
            for stamp in stamps { if let hash = stamp.hash { verified.insert("\(stamp.path)|\(stamp.size)|\(stamp.modified)|\(hash)") } }
        }
    }

    public func store(_ key: String, step: String, outputs: [String]) throws {
        try store(key, step: step, outputs: outputs, payload: Optional<String>.none)
    }

    /// Size and modification time of a file, nil when it does not exist.
    public static func stamp(_ path: String) -> FileStamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = (attributes[.size] as? NSNumber)?.int64Value,
              let modified = attributes[.modificationDate] as? Date else { return nil }
        return FileStamp(path: path, size: size, modified: modified.timeIntervalSince1970)
    }

    /// Identity of an input file for keys: path, size and modification time.
    public static func identity(_ path: String) -> String {
        guard let stamp = stamp(path) else { return "\(path)|missing" }
        return "\(path)|\(stamp.size)|\(String(format: "%.6f", stamp.modified))"
    }

    /// A step key: SHA-256 of the cache version, the step name and its parts.
    public static func key(_ step: String, _ parts: [String]) -> String {
        let text = ([version, step] + parts).joined(separator: "\u{1F}")
        return Array(text.utf8).withUnsafeBytes { DigestAlgorithm.sha256.hexDigest($0) }
    }

    /// A stable text of encodable parameters for keys.
    public static func describe<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "\(value)"
    }
}
