import LerarCore

/// XISF byte shuffling: for N items of n bytes, all first bytes, then all second bytes, …; trailing bytes that do
/// not fill an item are copied unchanged (XISF 1.0 spec, ByteShuffling.cpp). Makes sample data far more compressible.
enum ByteShuffle {
    /// Shuffled copy of `input` for items of `itemSize` bytes.
    static func shuffle(_ input: UnsafeRawBufferPointer, itemSize: Int) -> [UInt8] {
        transpose(input, itemSize: itemSize, inverse: false)
    }

    /// Undoes `shuffle`.
    static func unshuffle(_ input: UnsafeRawBufferPointer, itemSize: Int) -> [UInt8] {
        transpose(input, itemSize: itemSize, inverse: true)
    }

    private static func transpose(_ input: UnsafeRawBufferPointer, itemSize: Int, inverse: Bool) -> [UInt8] {
        let count = input.count
        guard itemSize > 1, count >= itemSize else { return [UInt8](input) }
        let items = count / itemSize
        return [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            let shared = UnsafeSendable((input, output))
            Parallel.forEachChunk(count: items, minimumChunkSize: 1 << 15) { range in
                let (source, target) = shared.value
                let s = source.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let t = target.baseAddress!
                for byte in 0..<itemSize {
                    let plane = byte * items
                    if inverse {
                        for item in range { t[item * itemSize + byte] = s[plane + item] }
                    } else {
                        for item in range { t[plane + item] = s[item * itemSize + byte] }
                    }
                }
            }
            let tail = items * itemSize
            for i in tail..<count { output[i] = input[i] }
            initialized = count
        }
    }
}
