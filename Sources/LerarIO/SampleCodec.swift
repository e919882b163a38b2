import LerarCore

/// Converts stored samples to in-memory normalised Float32 and back. Integers map to [0,1] by value / (2^bits − 1);
/// floats are kept as they are (bit-exact round trips).
enum SampleCodec {
    /// Decodes `output.count` samples from `raw` (little-endian unless `bigEndian`).
    static func decode(_ raw: UnsafeRawBufferPointer, format: SampleFormat, bigEndian: Bool = false, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(raw.count >= output.count * format.byteCount, "raw block \(raw.count) B too small for \(output.count) \(format) samples")
        let shared = UnsafeSendable((raw, output))
        Parallel.forEachChunk(count: output.count, minimumChunkSize: 1 << 16) { range in
            let (raw, output) = shared.value
            let base = raw.baseAddress!
            switch format {
            case .uint8:
                let source = base.assumingMemoryBound(to: UInt8.self)
                for i in range { output[i] = Float(source[i]) / 255 }
            case .uint16:
                let source = base.assumingMemoryBound(to: UInt16.self)
                
                if bigEndian { for i in range { output[i] = Float(UInt16(bigEndian: source[i])) / 65535 } }
                else { for i in range { output[i] = Float(UInt16(littleEndian: source[i])) / 65535 } }
            case .int16:
                let source = base.assumingMemoryBound(to: Int16.self)
                
                for i in range {
                    let v = bigEndian ? Int16(bigEndian: source[i]) : Int16(littleEndian: source[i])
                    output[i] = (Float(v) + 32768) / 65535
                }
            case .uint32:
                let source = base.assumingMemoryBound(to: UInt32.self)
                for i in range {
                    let v = bigEndian ? UInt32(bigEndian: source[i]) : UInt32(littleEndian: source[i])
                    output[i] = Float(Double(v) / 4_294_967_295.0)
                }
            case .int32:
                let source = base.assumingMemoryBound(to: Int32.self)
                for i in range {
                    let v = bigEndian ? Int32(bigEndian: source[i]) : Int32(littleEndian: source[i])
                    output[i] = Float((Double(v) + 2_147_483_648.0) / 4_294_967_295.0)
                }
            case .float32:
                let source = base.assumingMemoryBound(to: UInt32.self)
                for i in range {
                    output[i] = Float(bitPattern: bigEndian ? UInt32(bigEndian: source[i]) : UInt32(littleEndian: source[i]))
                }
            case .float64:
                let source = base.assumingMemoryBound(to: UInt64.self)
                for i in range {
                    output[i] = Float(Double(bitPattern: bigEndian ? UInt64(bigEndian: source[i]) : UInt64(littleEndian: source[i])))
                }
            }
        }
    }

    /// Encodes samples to little-endian `format` (integers: clamped to [0,1], rounded, NaN → 0).
    static func encode(_ samples: UnsafeBufferPointer<Float>, format: SampleFormat, into raw: UnsafeMutableRawBufferPointer) {
        precondition(raw.count >= samples.count * format.byteCount, "raw block too small")
        let shared = UnsafeSendable((samples, raw))
        Parallel.forEachChunk(count: samples.count, minimumChunkSize: 1 << 16) { range in
            let (samples, raw) = shared.value
            let base = raw.baseAddress!
            switch format {
            case .uint8:
                let target = base.assumingMemoryBound(to: UInt8.self)
                for i in range { target[i] = UInt8(quantize(samples[i], 255)) }
            case .uint16:
                let target = base.assumingMemoryBound(to: UInt16.self)
                for i in range { target[i] = UInt16(quantize(samples[i], 65535)).littleEndian }
            case .int16:
                let target = base.assumingMemoryBound(to: Int16.self)
                for i in range { target[i] = Int16(Int32(quantize(samples[i], 65535)) - 32768).littleEndian }
            case .uint32:
                let target = base.assumingMemoryBound(to: UInt32.self)
                for i in range { target[i] = UInt32(quantizeWide(samples[i], 4_294_967_295)).littleEndian }
            case .int32:
                let target = base.assumingMemoryBound(to: Int32.self)
                for i in range { target[i] = Int32(Int64(quantizeWide(samples[i], 4_294_967_295)) - 2_147_483_648).littleEndian }
            case .float32:
                let target = base.assumingMemoryBound(to: UInt32.self)
                for i in range { target[i] = samples[i].bitPattern.littleEndian }
            case .float64:
                let target = base.assumingMemoryBound(to: UInt64.self)
                for i in range { target[i] = Double(samples[i]).bitPattern.littleEndian }
            }
        }
    }

    @inline(__always) static func quantize(_ x: Float, _ maximum: Float) -> UInt32 {
        let clamped = x.isNaN ? 0 : min(max(x, 0), 1)
        return UInt32((clamped * maximum).rounded())
    }

    @inline(__always) static func quantizeWide(_ x: Float, _ maximum: Double) -> UInt64 {
        let clamped = x.isNaN ? 0 : min(max(Double(x), 0), 1)
        return UInt64((clamped * maximum).rounded())
    }
}
