import Foundation
import LerarCore

/// Entry points for fuzzing the readers (`lerar-fuzz`, `make fuzz`) and for replaying the fuzz corpus in the tests.
/// Each takes arbitrary bytes and must return normally whatever they hold: an error is an acceptable outcome,
/// a trap, a crash or a hang is a bug.
public enum FuzzTargets {
    /// Target names, as the corpus folders under `Fuzz/corpus/` are named.
    public static let names = ["fits-header", "fits-fz", "xisf-header", "xisf-blocks"]

    /// Runs target `name` on `data`; false when there is no such target.
    @discardableResult
    public static func run(_ name: String, _ data: UnsafeRawBufferPointer) -> Bool {
        switch name {
        case "fits-header": readHeader(data, fileExtension: "fits")
        case "fits-fz": readImage(data, fileExtension: "fz")
        case "xisf-header": readImage(data, fileExtension: "xisf")
        case "xisf-blocks": decodeBlock(data)
        default: return false
        }
        return true
    }

    /// A scratch file per process (in memory where /dev/shm exists), rewritten for every input: the FITS reader
    /// goes through cfitsio, which opens files by name.
    static func scratchFile(_ fileExtension: String) -> String {
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return (folder as NSString).appendingPathComponent("lerar-fuzz-\(getpid()).\(fileExtension)")
    }

    static func write(_ data: UnsafeRawBufferPointer, fileExtension: String) -> String {
        let path = scratchFile(fileExtension)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if descriptor >= 0 {
            if let base = data.baseAddress { _ = Foundation.write(descriptor, base, data.count) }
            close(descriptor)
        }
        return path
    }

    static func readHeader(_ data: UnsafeRawBufferPointer, fileExtension: String) {
        _ = try? ImageFile.readHeader(write(data, fileExtension: fileExtension))
    }

    static func readImage(_ data: UnsafeRawBufferPointer, fileExtension: String) {
        let path = write(data, fileExtension: fileExtension)
        // Decoding is only attempted for small images: the fuzzer's time goes to the decoders, not to allocation.
        guard let header = try? ImageFile.readHeader(path), header.width * header.height <= 1 << 16 else { return }
        _ = try? ImageFile.read(path)
    }

    /// XISF block decoding from a structured input: byte 0 picks the codec and shuffling, byte 1 the item size,
    /// bytes 2–3 the uncompressed size, byte 4 how many subblocks, then the encoding (raw/base64/hex), then data.
    static func decodeBlock(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 6 else { return }
        let codecs = XISFCompression.Codec.allCases
        let compression = XISFCompression(codec: codecs[Int(data[0] & 3)], shuffle: data[0] & 4 != 0)
        let itemSize = Int(data[1] % 16) + 1
        let size = Int(data[2]) | Int(data[3]) << 8
        let pieces = Int(data[4] % 4) + 1
        let encoding = data[5] % 3
        var payload = [UInt8](data[6...])
        if encoding > 0 {
            let text = String(decoding: payload, as: UTF8.self)
            guard let decoded = try? XISFDataBlock.decodeText(text, encoding: encoding == 1 ? "base64" : "hex", path: "fuzz") else { return }
            payload = decoded
        }
        var subblocks: [(compressed: Int, uncompressed: Int)]?
        if pieces > 1 && payload.count >= pieces && size >= pieces {
            subblocks = (0..<pieces).map { index in
                let compressed = payload.count / pieces + (index == pieces - 1 ? payload.count % pieces : 0)
                let uncompressed = size / pieces + (index == pieces - 1 ? size % pieces : 0)
                return (compressed, uncompressed)
            }
        }
        guard let bytes = try? payload.withUnsafeBytes({
            try XISFBlockCodec.decompress($0, compression: compression, uncompressedSize: size, subblocks: subblocks, itemSize: itemSize, path: "fuzz")
        }) else { return }
        for format in SampleFormat.allCases where bytes.count >= format.byteCount {
            let count = bytes.count / format.byteCount
            var samples = [Float](repeating: 0, count: count)
            bytes.withUnsafeBytes { raw in
                samples.withUnsafeMutableBufferPointer { _ = SampleCodec.decode(raw, format: format, scale: .fullRange, bigEndian: data[0] & 8 != 0, into: $0) }
            }
        }
    }
}
