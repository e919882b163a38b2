import Foundation
import LerarCore

/// An image's uncompressed samples read from their file and decoded in parallel chunks, each chunk read with
/// `pread` by the thread that decodes it. A whole frame was read on its frame's thread alone — cfitsio swapped and
/// offset a 4096² light there (~7 ms), XISF read a registered frame into a 64 MiB byte array before decoding it —
/// while `lerar run` on a many-core machine has only two 4096² frames in flight (stop 34). Native Float32 (XISF's
/// little-endian) is read straight into the image: no copy and no second 64 MiB array.
enum SampleFileReader {
    /// Samples decoded from one `pread` (128 KiB of 16-bit data): a chunk's scratch stays small, and `SampleCodec`
    /// decodes that many on the calling thread.
    static let piece = 1 << 16

    /// Reads `output.count` samples stored as `format` from byte `dataStart` of `path` into `output`, as
    /// `SampleCodec.decode` scales them; `offsetSign`: the stored integers are signed with the unsigned offset
    /// (FITS's BZERO 2^15 or 2^31), so flipping the sign bit gives the unsigned value. Returns the inexact samples.
    static func read(path: String, dataStart: Int, format: SampleFormat, scale: IntegerScale, bigEndian: Bool, offsetSign: Bool = false,
                     into output: UnsafeMutableBufferPointer<Float>) throws -> Int {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ImageIOError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let width = format.byteCount, inexact = Tally(), failure = FirstError()
        let native = format == .float32 && bigEndian == (1.bigEndian == 1)
        let shared = UnsafeSendable(output)
        Parallel.forEachChunk(count: output.count, minimumChunkSize: piece) { chunk in
            let scratch = native ? nil : UnsafeMutableRawBufferPointer.allocate(byteCount: min(piece, chunk.count) * width, alignment: 16)
            defer { scratch?.deallocate() }
            var first = chunk.lowerBound
            while first < chunk.upperBound, !failure.failed {
                let count = min(piece, chunk.upperBound - first), bytes = count * width
                let target = UnsafeMutableBufferPointer(rebasing: shared.value[first..<(first + count)])
                let raw = scratch?.baseAddress ?? UnsafeMutableRawPointer(target.baseAddress!)
                do { try readFully(descriptor, into: UnsafeMutableRawBufferPointer(start: raw, count: bytes), at: dataStart + first * width, path: path) }
                catch { failure.record(error); return }
                if let scratch {
                    // The stored value is signed: flipping its sign bit (the most significant byte) adds the offset.
                    if offsetSign { let top = bigEndian ? 0 : width - 1; for i in 0..<count { scratch[i * width + top] ^= 0x80 } }
                    let lost = SampleCodec.decode(UnsafeRawBufferPointer(scratch), format: format, scale: scale, bigEndian: bigEndian, into: target)
                    if lost > 0 { inexact.add(lost) }
                }
                first += count
            }
        }
        if let error = failure.first { throw error }
        return inexact.count
    }

    /// Fills `buffer` from byte `offset` of the open file, through short reads and EINTR; a file that ends first is
    /// named as cut short.
    static func readFully(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, path: String) throws {
        var done = 0
        while done < buffer.count {
            let got = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else {
                throw got == 0 ? ImageIOError.truncated(path: path, detail: "image data cut short at byte \(offset + done)")
                               : ImageIOError.cannotOpen(path: path, reason: "reading its image data failed: \(String(cString: strerror(errno)))")
            }
            done += got
        }
    }
}
