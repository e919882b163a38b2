import Foundation
import LerarCore

/// The cache's content hash of a file: XXH64 of each 4 MiB block, hashed in parallel, then XXH64 of those digests
/// (little-endian) seeded with the length, written "b:" and 16 hex digits. One XXH64 over a whole file ran on one
/// thread, ~16 ms for a registered 4096² frame that the frame's thread read back after writing it (stop 34); blocks
/// let every core hash, from the file or from the bytes just written, and a resume verify large files as fast.
/// The prefix tells it from the whole-file XXH64 that journals held before: such a record no longer matches, and
/// its step is computed again once.
extension ContentHash {
    /// Bytes hashed on their own before the digests are combined.
    public static let blockBytes = 1 << 22

    /// The content hash of the bytes of `parts` one after another (as they are written to a file).
    public static func ofParts(_ parts: [UnsafeRawBufferPointer]) -> String {
        let total = parts.reduce(0) { $0 + $1.count }
        let shared = UnsafeSendable(parts)
        let digests = Parallel.mapChunks(count: (total + blockBytes - 1) / blockBytes, minimumChunkSize: 1) { blocks in
            blocks.map { block -> UInt64 in
                var hasher = ContentHash(), partStart = 0
                let blockRange = (block * blockBytes)..<min(total, (block + 1) * blockBytes)
                for part in shared.value {
                    let overlap = blockRange.clamped(to: partStart..<(partStart + part.count))
                    if !overlap.isEmpty { hasher.update(UnsafeRawBufferPointer(rebasing: part[(overlap.lowerBound - partStart)..<(overlap.upperBound - partStart)])) }
                    partStart += part.count
                }
                return hasher.finish()
            }
        }.flatMap { $0 }
        return combined(digests, length: total)
    }

    /// The content hash of a file's contents, its blocks read (1 MiB at a time) and hashed in parallel; nil when it
    /// cannot be read whole.
    public static func ofFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        let total = Int(info.st_size), piece = 1 << 20, failed = Tally()
        let digests = Parallel.mapChunks(count: (total + blockBytes - 1) / blockBytes, minimumChunkSize: 1) { blocks -> [UInt64] in
            let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: piece, alignment: 16)
            defer { scratch.deallocate() }
            return blocks.map { block in
                var hasher = ContentHash()
                var offset = block * blockBytes
                let end = min(total, offset + blockBytes)
                while offset < end, failed.count == 0 {
                    let got = pread(descriptor, scratch.baseAddress!, min(piece, end - offset), off_t(offset))
                    if got < 0 && errno == EINTR { continue }
                    guard got > 0 else { _ = failed.next(); break }
                    hasher.update(UnsafeRawBufferPointer(rebasing: scratch[0..<got]))
                    offset += got
                }
                return hasher.finish()
            }
        }.flatMap { $0 }
        return failed.count == 0 ? combined(digests, length: total) : nil
    }

    /// "b:" and the XXH64, seeded with `length`, of the blocks' digests as little-endian bytes.
    static func combined(_ digests: [UInt64], length: Int) -> String {
        var hasher = ContentHash(seed: UInt64(length))
        digests.map(\.littleEndian).withUnsafeBytes { hasher.update($0) }
        return "b:" + String(format: "%016llx", hasher.finish())
    }
}
