/// Sorting of Float arrays by their bits: byte-wide counting passes (least significant first), skipping the bytes
/// every key shares, so sky samples of one cell (same sign and exponent) take two or three passes. O(n) with no
/// comparisons to mispredict; a cell's clipped median sorts once instead of selecting seven times.
public enum RadixSort {
    /// Sorts `values` ascending (−0 before +0); NaN must not occur.
    public static func sort(_ values: inout [Float]) {
        let n = values.count
        guard n > 1 else { return }
        let storage = UnsafeMutablePointer<UInt32>.allocate(capacity: 2 * n)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 4 * 256)
        defer { storage.deallocate(); counts.deallocate() }
        counts.initialize(repeating: 0, count: 4 * 256)
        var source = storage, target = storage + n
        values.withUnsafeBufferPointer { values in
            for i in 0..<n {
                let key = orderedKey(values[i])
                source[i] = key
                counts[Int(key & 0xFF)] += 1
                counts[256 + Int((key >> 8) & 0xFF)] += 1
                counts[512 + Int((key >> 16) & 0xFF)] += 1
                counts[768 + Int(key >> 24)] += 1
            }
        }
        for pass in 0..<4 {
            let shift = UInt32(8 * pass), digits = counts + 256 * pass
            if digits[Int((source[0] >> shift) & 0xFF)] == n { continue } // every key shares this byte
            var offset = 0
            for digit in 0..<256 { let count = digits[digit]; digits[digit] = offset; offset += count }
            for i in 0..<n {
                let key = source[i], digit = Int((key >> shift) & 0xFF)
                target[digits[digit]] = key
                digits[digit] += 1
            }
            swap(&source, &target)
        }
        values.withUnsafeMutableBufferPointer { values in
            for i in 0..<n { values[i] = value(ofKey: source[i]) }
        }
    }

    /// Bits whose unsigned order is the Float order: negative numbers flipped whole, positive ones get the sign bit.
    @inline(__always)
    static func orderedKey(_ value: Float) -> UInt32 {
        let bits = value.bitPattern
        return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    }

    @inline(__always)
    static func value(ofKey key: UInt32) -> Float {
        Float(bitPattern: key & 0x8000_0000 != 0 ? key & 0x7FFF_FFFF : ~key)
    }
}
