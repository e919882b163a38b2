import Foundation
import LerarCore

/// The samples of a plain primary-HDU image, read and decoded by Lerar in parallel chunks: cfitsio swapped and
/// offset a frame's 16 Mi samples on one thread (a 4096² light took ~8 ms there, while `lerar run` on a many-core
/// machine has only two frames in flight at that size), so each chunk here is read with `pread` and decoded by the
/// thread that uses it. Only storage whose decoding is exact without cfitsio's scaling comes here: integers with
/// BSCALE 1 and BZERO 0 or the unsigned offset, and Float32/Float64 with BSCALE 1 and BZERO 0; the same values as
/// cfitsio's (no null checking: BLANK integers stay numbers, NaN floats stay NaN).
enum FITSSampleReader {
    /// Samples decoded from one `pread` (128 KiB of 16-bit data): a chunk's scratch stays small, and `SampleCodec`
    /// decodes that many on the calling thread.
    static let piece = 1 << 16

    /// The sample format to decode for `bitpix` with `bzero` and `bscale`, and whether the stored value is signed
    /// with the unsigned offset (BZERO 2^15 or 2^31: flipping its sign bit gives the unsigned value); nil where
    /// cfitsio's scaling is needed.
    static func decoding(bitpix: Int32, bzero: Double, bscale: Double) -> (format: SampleFormat, offsetSign: Bool)? {
        guard bscale == 1 else { return nil }
        switch (bitpix, bzero) {
        case (8, 0): return (.uint8, false)
        case (16, 0): return (.int16, false)
        case (16, 32768): return (.uint16, true)
        case (32, 0): return (.int32, false)
        case (32, 2_147_483_648): return (.uint32, true)
        case (-32, 0): return (.float32, false)
        case (-64, 0): return (.float64, false)
        default: return nil
        }
    }

    /// Reads `output.count` samples stored as `format` (big-endian) from byte `dataStart` of `path` into `output`,
    /// on the 16-bit ADU scale as `SampleCodec` decodes; returns the number of inexact samples.
    static func read(path: String, dataStart: Int, format: SampleFormat, offsetSign: Bool, into output: UnsafeMutableBufferPointer<Float>) throws -> Int {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ImageIOError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let width = format.byteCount, inexact = Tally(), failure = FirstError()
        let shared = UnsafeSendable(output)
        Parallel.forEachChunk(count: output.count, minimumChunkSize: piece) { chunk in
            let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: min(piece, chunk.count) * width, alignment: 16)
            defer { scratch.deallocate() }
            var first = chunk.lowerBound
            while first < chunk.upperBound, !failure.failed {
                let count = min(piece, chunk.upperBound - first), bytes = count * width
                var done = 0
                while done < bytes {
                    let got = pread(descriptor, scratch.baseAddress! + done, bytes - done, off_t(dataStart + first * width + done))
                    if got < 0 && errno == EINTR { continue }
                    guard got > 0 else {
                        failure.record(got == 0 ? ImageIOError.truncated(path: path, detail: "image data cut short at byte \(dataStart + first * width + done)")
                                                : ImageIOError.cannotOpen(path: path, reason: "reading its image data failed: \(String(cString: strerror(errno)))"))
                        return
                    }
                    done += got
                }
                // The stored value is signed: flipping the sign bit (the first byte, big-endian) adds the offset.
                if offsetSign { for i in 0..<count { scratch[i * width] ^= 0x80 } }
                let lost = SampleCodec.decode(UnsafeRawBufferPointer(scratch), format: format, scale: .adu16, bigEndian: true,
                                              into: UnsafeMutableBufferPointer(rebasing: shared.value[first..<(first + count)]))
                if lost > 0 { inexact.add(lost) }
                first += count
            }
        }
        if let error = failure.first { throw error }
        return inexact.count
    }
}
