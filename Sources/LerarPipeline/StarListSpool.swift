import Foundation
import LerarRegistration

/// The star lists found while measuring, kept for registration in the same run in files of the cache folder rather
/// than in memory: a 4096² sub has ~13,000 stars (0.6 MiB), so 200 lights held 110 MiB of lists until registration
/// and a season of subs would hold its size again. A list that cannot be read back is found again by registration.
final class StarListSpool: Sendable {
    let folder: String

    /// A spool in `folder`, emptied first (a run holds its output folder's lock, so no other run uses it).
    init(folder: String) {
        self.folder = folder
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func path(_ index: Int) -> String { (folder as NSString).appendingPathComponent("\(index).stars") }

    /// Keeps the stars of frame `index` (their six Doubles each, as in memory); a failed write only costs registration
    /// the star detection it would have saved.
    func store(_ stars: [DetectedStar], for index: Int) {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let data = stars.withUnsafeBytes { Data($0) }
        try? data.write(to: URL(fileURLWithPath: path(index)), options: .atomic)
    }

    /// The stars stored for frame `index`, or nil.
    func load(for index: Int) -> [DetectedStar]? {
        guard let data = FileManager.default.contents(atPath: path(index)),
              data.count % MemoryLayout<DetectedStar>.stride == 0 else { return nil }
        let count = data.count / MemoryLayout<DetectedStar>.stride
        return [DetectedStar](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            initialized = count
        }
    }

    /// Forgets the stars of frame `index` once it is registered.
    func remove(for index: Int) { try? FileManager.default.removeItem(atPath: path(index)) }

    /// Removes the spool at the end of a run.
    func removeAll() { try? FileManager.default.removeItem(atPath: folder) }
}
