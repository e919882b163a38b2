/// Message digests for XISF block checksums (SHA-1 is mandatory in XISF 1.0; SHA-2 and SHA-3 are optional).
/// Written here because Foundation on Linux has no hashing API; verified against published test vectors.
public enum DigestAlgorithm: String, Sendable, CaseIterable {
    case sha1 = "sha-1"
    case sha256 = "sha-256"
    case sha512 = "sha-512"
    case sha3_256 = "sha3-256"
    case sha3_512 = "sha3-512"

    /// Algorithm for an XISF checksum name (`sha1` and `sha-1` are both accepted), case-insensitive.
    public init?(xisfName: String) {
        switch xisfName.lowercased() {
        case "sha-1", "sha1": self = .sha1
        case "sha-256", "sha256": self = .sha256
        case "sha-512", "sha512": self = .sha512
        case "sha3-256": self = .sha3_256
        case "sha3-512": self = .sha3_512
        default: return nil
        }
    }

    /// Digest length in bytes.
    public var byteCount: Int {
        switch self {
        case .sha1: 20
        case .sha256, .sha3_256: 32
        case .sha512, .sha3_512: 64
        }
    }

    /// Digest of `bytes`.
    public func digest(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        switch self {
        case .sha1: SHA1.hash(bytes)
        case .sha256: SHA256.hash(bytes)
        case .sha512: SHA512.hash(bytes)
        case .sha3_256: SHA3.hash(bytes, outputBytes: 32)
        case .sha3_512: SHA3.hash(bytes, outputBytes: 64)
        }
    }

    /// Lower-case hexadecimal digest of `bytes`.
    public func hexDigest(_ bytes: UnsafeRawBufferPointer) -> String {
        digest(bytes).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
        }.joined()
    }
}

/// Merkle–Damgård padding shared by SHA-1 and SHA-2: message, 0x80, zeros, big-endian bit length.
enum MerkleDamgard {
    static func forEachBlock(_ bytes: UnsafeRawBufferPointer, blockSize: Int, lengthBytes: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        let fullBlocks = bytes.count / blockSize
        for block in 0..<fullBlocks { body(UnsafeRawBufferPointer(rebasing: bytes[(block * blockSize)..<((block + 1) * blockSize)])) }
        var tail = [UInt8](bytes[(fullBlocks * blockSize)...])
        tail.append(0x80)
        while (tail.count + lengthBytes) % blockSize != 0 { tail.append(0) }
        let bitLength = UInt64(bytes.count) &* 8
        tail.append(contentsOf: [UInt8](repeating: 0, count: lengthBytes - 8))
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        tail.withUnsafeBytes { all in
            for block in 0..<(all.count / blockSize) { body(UnsafeRawBufferPointer(rebasing: all[(block * blockSize)..<((block + 1) * blockSize)])) }
        }
    }

    @inline(__always) static func bigEndianWord32(_ block: UnsafeRawBufferPointer, _ index: Int) -> UInt32 {
        UInt32(block[index * 4]) << 24 | UInt32(block[index * 4 + 1]) << 16 | UInt32(block[index * 4 + 2]) << 8 | UInt32(block[index * 4 + 3])
    }

    @inline(__always) static func bigEndianWord64(_ block: UnsafeRawBufferPointer, _ index: Int) -> UInt64 {
        var word: UInt64 = 0
        for byte in 0..<8 { word = word << 8 | UInt64(block[index * 8 + byte]) }
        return word
    }

    static func bytes<W: FixedWidthInteger>(bigEndian words: [W]) -> [UInt8] {
        words.flatMap { word in (0..<(W.bitWidth / 8)).reversed().map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) } }
    }
}

enum SHA1 {
    static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        var w = [UInt32](repeating: 0, count: 80)
        MerkleDamgard.forEachBlock(bytes, blockSize: 64, lengthBytes: 8) { block in
            for t in 0..<16 { w[t] = MerkleDamgard.bigEndianWord32(block, t) }
            for t in 16..<80 { w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotatedLeft(1) }
            var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
            for t in 0..<80 {
                let (f, k): (UInt32, UInt32) = switch t {
                case 0..<20: ((b & c) | (~b & d), 0x5A82_7999)
                case 20..<40: (b ^ c ^ d, 0x6ED9_EBA1)
                case 40..<60: ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                default: (b ^ c ^ d, 0xCA62_C1D6)
                }
                let temp = a.rotatedLeft(5) &+ f &+ e &+ k &+ w[t]
                (e, d, c, b, a) = (d, c, b.rotatedLeft(30), a, temp)
            }
            h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e
        }
        return MerkleDamgard.bytes(bigEndian: h)
    }
}

extension FixedWidthInteger where Self: UnsignedInteger {
    @inline(__always) func rotatedLeft(_ n: Self) -> Self { (self << n) | (self >> (Self(Self.bitWidth) - n)) }
    @inline(__always) func rotatedRight(_ n: Self) -> Self { (self >> n) | (self << (Self(Self.bitWidth) - n)) }
}
