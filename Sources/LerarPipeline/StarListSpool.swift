import Foundation
import LerarRegistration

/// The star lists found while measuring, kept for registration in the same run in files of the cache folder rather
/// than in memory: a 4096² sub has ~13,000 stars (0.6 MiB), so 200 lights held 110 MiB of lists until registration
/// and a season of subs would hold its size again. Each list is named by a key of the calibrated frame and the
/// detection parameters (`key(measureKey:parameters:)`), so a list left by a failed run or by another step of a
/// cluster plan is one the same detection would find; one that cannot be read back is found again by registration.
final class StarListSpool: Sendable {
    let folder: String

    init(folder: String) { self.folder = folder }

    /// The name of a frame's list: its measurement's key and the registration's detection parameters.
    static func key(measureKey: String, parameters: Registrar.Parameters) -> String {
        StepCache.key("stars", [measureKey, StepCache.describe(parameters)])
    }

    private func path(_ key: String) -> String { (folder as NSString).appendingPathComponent(key + ".stars") }

    /// Keeps the stars under `key` (their six Doubles each, as in memory); a failed write only costs registration the
    /// star detection it would have saved.
    func store(_ stars: [DetectedStar], for key: String) {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let data = stars.withUnsafeBytes { Data($0) }
        try? data.write(to: URL(fileURLWithPath: path(key)), options: .atomic)
    }

    /// The stars stored under `key`, or nil.
    func load(for key: String) -> [DetectedStar]? {
        guard let data = FileManager.default.contents(atPath: path(key)),
              data.count % MemoryLayout<DetectedStar>.stride == 0 else { return nil }
        let count = data.count / MemoryLayout<DetectedStar>.stride
        return [DetectedStar](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            initialized = count
        }
    }

    /// Forgets the stars under `key` once their frame is registered.
    func remove(for key: String) { try? FileManager.default.removeItem(atPath: path(key)) }

    /// Removes the spool at the end of a successful run.
    func removeAll() { try? FileManager.default.removeItem(atPath: folder) }
}
