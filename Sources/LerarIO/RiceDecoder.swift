/// Rice decoding as used by FITS tile compression (RICE_1): the first pixel is stored raw in `bytePix` big-endian
/// bytes; then each block of `blockSize` pixels starts with an FS code (`fsBits` bits, stored as FS + 1). FS + 1 = 0
/// means every difference in the block is zero; FS = `fsMax` means the differences are stored raw (`bytePix` × 8
/// bits each); otherwise each difference is a unary-coded high part and FS low bits. Differences are zig-zag mapped
/// (even → ≥ 0, odd → < 0) and added to the previous pixel, wrapping at the pixel width. Every read is
/// bounds-checked: a corrupt tile throws, it never reads past its bytes.
enum RiceDecoder {
    /// Decodes `count` pixels, as signed values of the pixel width (unsigned for 1-byte pixels).
    static func decode(_ input: [UInt8], count: Int, blockSize: Int, bytePix: Int, fail: ImageIOError) throws -> [Int64] {
        let (fsBits, fsMax): (Int, Int) = switch bytePix {
        case 1: (3, 6)
        case 2: (4, 14)
        case 4: (5, 25)
        default: throw fail
        }
        let bits = 8 * bytePix
        let mask: UInt64 = bytePix == 4 ? 0xFFFF_FFFF : (1 << UInt64(bits)) - 1
        guard blockSize > 0, input.count >= bytePix + 1 else { throw fail }
        var output = [Int64](repeating: 0, count: count)
        var cursor = 0
        @inline(__always) func nextByte() throws -> UInt64 {
            guard cursor < input.count else { throw fail }
            defer { cursor += 1 }
            return UInt64(input[cursor])
        }
        var last: UInt64 = 0
        for _ in 0..<bytePix { last = last << 8 | (try nextByte()) }
        var buffer = try nextByte() // bits not yet used, in the low `available` bits
        var available = 8
        var index = 0
        while index < count {
            let end = min(index + blockSize, count)
            available -= fsBits
            while available < 0 {
                buffer = buffer << 8 | (try nextByte())
                available += 8
            }
            let fs = Int(buffer >> UInt64(available)) - 1
            buffer &= (1 << UInt64(available)) - 1
            if fs < 0 {
                while index < end { output[index] = signed(last, bits); index += 1 }
            } else if fs == fsMax {
                while index < end {
                    // `bits` raw bits: what is left in the buffer, then whole bytes, then part of one more.
                    var k = bits - available
                    var difference = buffer << UInt64(k)
                    k -= 8
                    while k >= 0 {
                        buffer = try nextByte()
                        difference |= buffer << UInt64(k)
                        k -= 8
                    }
                    if available > 0 {
                        buffer = try nextByte()
                        difference |= buffer >> UInt64(-k)
                        buffer &= (1 << UInt64(available)) - 1
                    } else {
                        buffer = 0
                    }
                    last = (last &+ unmap(difference & mask)) & mask
                    output[index] = signed(last, bits)
                    index += 1
                }
            } else {
                while index < end {
                    // Unary part: count zero bits up to the next one.
                    while buffer == 0 {
                        available += 8
                        buffer = try nextByte()
                    }
                    let significant = 64 - buffer.leadingZeroBitCount
                    let zeros = available - significant
                    available -= zeros + 1
                    buffer ^= 1 << UInt64(available)
                    available -= fs
                    while available < 0 {
                        buffer = buffer << 8 | (try nextByte())
                        available += 8
                    }
                    let difference = UInt64(zeros) << UInt64(fs) | buffer >> UInt64(available)
                    buffer &= (1 << UInt64(available)) - 1
                    last = (last &+ unmap(difference & mask)) & mask
                    output[index] = signed(last, bits)
                    index += 1
                }
            }
        }
        return output
    }

    /// Zig-zag mapping undone: 0, 1, 2, 3, … → 0, −1, 1, −2, … (as a wrapping UInt64).
    @inline(__always) static func unmap(_ value: UInt64) -> UInt64 {
        value & 1 == 0 ? value >> 1 : ~(value >> 1)
    }

    @inline(__always) static func signed(_ value: UInt64, _ bits: Int) -> Int64 {
        switch bits {
        case 8: Int64(value) // FITS 8-bit pixels are unsigned
        case 16: Int64(Int16(truncatingIfNeeded: value))
        default: Int64(Int32(truncatingIfNeeded: value))
        }
    }
}
