import CLZ4
import CZlib
import CZstd
import Foundation
import LerarCore

/// An XISF block codec, optionally with byte shuffling (`zstd+sh`).
public struct XISFCompression: Sendable, Equatable, CustomStringConvertible {
    public enum Codec: String, Sendable, CaseIterable {
        case zlib, lz4, lz4hc, zstd

        /// Largest input one subblock may hold (zlib 2^32 − 2, LZ4_MAX_INPUT_SIZE); larger blocks are split.
        var maximumSubblock: Int {
            switch self {
            case .zlib: 0xFFFF_FFFE
            case .lz4, .lz4hc: 0x7E00_0000
            case .zstd: Int.max
            }
        }

        /// Highest plausible ratio of uncompressed to compressed bytes; a header claiming more is rejected
        /// before allocating (deflate ≤ 1032:1, LZ4 ≤ 255:1, zstd RLE blocks ~ 2^17:1).
        var maximumRatio: Int {
            switch self {
            case .zlib: 1032
            case .lz4, .lz4hc: 256
            case .zstd: 1 << 17
            }
        }
    }

    public var codec: Codec
    public var shuffle: Bool
    /// Codec level (zlib 1–9, lz4hc 1–12, zstd 1–22); nil = the codec's default (zlib 6, lz4hc 9, zstd 3).
    public var level: Int?

    public init(codec: Codec, shuffle: Bool, level: Int? = nil) {
        self.codec = codec
        self.shuffle = shuffle
        self.level = level
    }

    /// Parses `zlib`, `lz4`, `lz4hc`, `zstd`, each optionally with `+sh`, case-insensitive.
    public init?(name: String, level: Int? = nil) {
        var text = name.lowercased()
        let shuffled = text.hasSuffix("+sh")
        if shuffled { text.removeLast(3) }
        guard let codec = Codec(rawValue: text) else { return nil }
        self.init(codec: codec, shuffle: shuffled, level: level)
    }

    /// The XISF codec identifier, e.g. `lz4hc+sh`.
    public var description: String { codec.rawValue + (shuffle ? "+sh" : "") }
}

/// Compressed data block: the stored bytes and, when split, the (compressed, uncompressed) size of each subblock.
struct CompressedBlock {
    var bytes: [UInt8]
    var subblocks: [(compressed: Int, uncompressed: Int)]
}

/// XISF block (de)compression with the stream formats PCL uses: zlib-wrapped deflate, raw LZ4 blocks, zstd frames.
enum XISFBlockCodec {
    /// Compresses a block; shuffling (if asked) is applied to the whole block first, as the spec requires.
    static func compress(_ data: UnsafeRawBufferPointer, compression: XISFCompression, itemSize: Int) -> CompressedBlock {
        if compression.shuffle && itemSize > 1 {
            let shuffled = ByteShuffle.shuffle(data, itemSize: itemSize)
            return shuffled.withUnsafeBytes { compressUnshuffled($0, compression) }
        }
        return compressUnshuffled(data, compression)
    }

    private static func compressUnshuffled(_ data: UnsafeRawBufferPointer, _ compression: XISFCompression) -> CompressedBlock {
        var output = [UInt8]()
        var subblocks: [(Int, Int)] = []
        var start = 0
        repeat {
            let length = min(compression.codec.maximumSubblock, data.count - start)
            let piece = UnsafeRawBufferPointer(rebasing: data[start..<(start + length)])
            var packed = compressSubblock(piece, compression)
            if packed.count >= length { packed = [UInt8](piece) } // PCL convention: incompressible data stays raw
            output.append(contentsOf: packed)
            subblocks.append((packed.count, length))
            start += length
        } while start < data.count
        return CompressedBlock(bytes: output, subblocks: subblocks)
    }

    private static func compressSubblock(_ data: UnsafeRawBufferPointer, _ compression: XISFCompression) -> [UInt8] {
        let source = data.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        switch compression.codec {
        case .zlib:
            var capacity = compressBound(uLong(data.count))
            var output = [UInt8](repeating: 0, count: Int(capacity))
            let status = output.withUnsafeMutableBytes { target in
                compress2(target.baseAddress!.assumingMemoryBound(to: Bytef.self), &capacity,
                          source.assumingMemoryBound(to: Bytef.self), uLong(data.count), Int32(compression.level ?? 6))
            }
            precondition(status == Z_OK, "zlib compress2 failed with \(status)")
            output.removeLast(output.count - Int(capacity))
            return output
        case .lz4, .lz4hc:
            let capacity = LZ4_compressBound(Int32(data.count))
            var output = [UInt8](repeating: 0, count: Int(capacity))
            let written = output.withUnsafeMutableBytes { target in
                let s = source.assumingMemoryBound(to: CChar.self), t = target.baseAddress!.assumingMemoryBound(to: CChar.self)
                return compression.codec == .lz4
                    ? LZ4_compress_default(s, t, Int32(data.count), capacity)
                    : LZ4_compress_HC(s, t, Int32(data.count), capacity, Int32(compression.level ?? 9))
            }
            precondition(written > 0, "LZ4 compression failed")
            output.removeLast(output.count - Int(written))
            return output
        case .zstd:
            let capacity = ZSTD_compressBound(data.count)
            var output = [UInt8](repeating: 0, count: capacity)
            let context = ZSTD_createCCtx()!
            defer { ZSTD_freeCCtx(context) }
            ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(compression.level ?? 3))
            // Multithreaded zstd still writes one standard frame, so every reader can decode it.
            if data.count > 1 << 22 { ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(Parallel.coreCount)) }
            let written = output.withUnsafeMutableBytes { target in
                ZSTD_compress2(context, target.baseAddress, capacity, source, data.count)
            }
            precondition(ZSTD_isError(written) == 0, "zstd compression failed: \(String(cString: ZSTD_getErrorName(written)))")
            output.removeLast(output.count - written)
            return output
        }
    }

    /// Decompresses a stored block into exactly `uncompressedSize` bytes, then unshuffles.
    static func decompress(_ stored: UnsafeRawBufferPointer, compression: XISFCompression, uncompressedSize: Int,
                           subblocks: [(compressed: Int, uncompressed: Int)]?, itemSize: Int, path: String) throws -> [UInt8] {
        let pieces = subblocks ?? [(stored.count, uncompressedSize)]
        guard pieces.reduce(0, { $0 + $1.compressed }) == stored.count else {
            throw ImageIOError.malformed(path: path, detail: "subblock sizes do not add up to the block size \(stored.count)")
        }
        guard pieces.reduce(0, { $0 + $1.uncompressed }) == uncompressedSize else {
            throw ImageIOError.malformed(path: path, detail: "Uncompressed data size mismatch: subblocks vs \(uncompressedSize) bytes")
        }
        var output = [UInt8](repeating: 0, count: uncompressedSize)
        try output.withUnsafeMutableBytes { target in
            var source = 0, destination = 0
            for piece in pieces {
                let input = UnsafeRawBufferPointer(rebasing: stored[source..<(source + piece.compressed)])
                let output = UnsafeMutableRawBufferPointer(rebasing: target[destination..<(destination + piece.uncompressed)])
                if piece.compressed >= piece.uncompressed {
                    guard piece.compressed == piece.uncompressed else {
                        throw ImageIOError.malformed(path: path, detail: "raw subblock larger than its uncompressed size")
                    }
                    output.copyMemory(from: input)
                } else {
                    try decompressSubblock(input, into: output, codec: compression.codec, path: path)
                }
                source += piece.compressed
                destination += piece.uncompressed
            }
        }
        guard compression.shuffle && itemSize > 1 else { return output }
        return output.withUnsafeBytes { ByteShuffle.unshuffle($0, itemSize: itemSize) }
    }

    private static func decompressSubblock(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                                           codec: XISFCompression.Codec, path: String) throws {
        let mismatch = ImageIOError.malformed(path: path, detail: "\(codec.rawValue) data is corrupt or its size does not match the header (Uncompressed data size mismatch)")
        guard let source = input.baseAddress, let target = output.baseAddress else { throw mismatch }
        switch codec {
        case .zlib:
            var length = uLong(output.count)
            let status = uncompress(target.assumingMemoryBound(to: Bytef.self), &length,
                                    source.assumingMemoryBound(to: Bytef.self), uLong(input.count))
            guard status == Z_OK, Int(length) == output.count else { throw mismatch }
        case .lz4, .lz4hc:
            let produced = LZ4_decompress_safe(source.assumingMemoryBound(to: CChar.self), target.assumingMemoryBound(to: CChar.self),
                                               Int32(input.count), Int32(output.count))
            guard Int(produced) == output.count else { throw mismatch }
        case .zstd:
            let declared = ZSTD_getFrameContentSize(source, input.count)
            // ZSTD_CONTENTSIZE_UNKNOWN / _ERROR are the two largest UInt64 values.
            if declared < UInt64.max - 1 && declared != UInt64(output.count) { throw mismatch }
            let produced = ZSTD_decompress(target, output.count, source, input.count)
            guard ZSTD_isError(produced) == 0, produced == output.count else { throw mismatch }
        }
    }
}
