import LerarCore

/// How stored integers map to in-memory Float32 samples.
enum IntegerScale: Sendable {
    /// XISF: an unsigned format's full range maps to [0,1] (value / (2^bits − 1)), as PixInsight reads it.
    case fullRange
    /// FITS: 8-bit data by 255; 16- and 32-bit integers, signed or unsigned, are counts on the 16-bit scale
    /// (physical value / 65535), so the same camera's frames read alike whether saved as unsigned 16-bit (BZERO
    /// 32768), signed 16-bit without BZERO, or 32-bit integers — and 32-bit counts up to 2^23 are held exactly.
    case adu16

    /// Divisor of a format's stored (physical) integer value.
    func divisor(_ format: SampleFormat) -> Double {
        switch (format, self) {
        case (.uint8, _): 255
        case (.uint32, .fullRange): 4_294_967_295
        case (.float32, _), (.float64, _): 1
        default: 65535
        }
    }
}

/// Converts stored samples to in-memory Float32 and back (see `IntegerScale`). Floats are kept as they are.
/// Decoding counts the samples a Float32 cannot hold exactly (wide integers, float64), so that a conversion can
/// refuse to lose them silently.
enum SampleCodec {
    /// Decodes `output.count` samples from `raw` (little-endian unless `bigEndian`); returns how many samples are
    /// not held exactly (always 0 for 8/16-bit integers and float32).
    @discardableResult
    static func decode(_ raw: UnsafeRawBufferPointer, format: SampleFormat, scale: IntegerScale, bigEndian: Bool = false,
                       into output: UnsafeMutableBufferPointer<Float>) -> Int {
        precondition(raw.count >= output.count * format.byteCount, "raw block \(raw.count) B too small for \(output.count) \(format) samples")
        let shared = UnsafeSendable((raw, output))
        let inexact = Tally()
        let divisor = scale.divisor(format)
        Parallel.forEachChunk(count: output.count, minimumChunkSize: 1 << 16) { range in
            let (raw, output) = shared.value
            let base = raw.baseAddress!
            var lost = 0
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
                    output[i] = Float(v) / 65535
                }
            case .uint32:
                let source = base.assumingMemoryBound(to: UInt32.self)
                for i in range {
                    let v = bigEndian ? UInt32(bigEndian: source[i]) : UInt32(littleEndian: source[i])
                    output[i] = Float(Double(v) / divisor)
                    if (Double(output[i]) * divisor).rounded() != Double(v) { lost += 1 }
                }
            case .int32:
                let source = base.assumingMemoryBound(to: Int32.self)
                for i in range {
                    let v = bigEndian ? Int32(bigEndian: source[i]) : Int32(littleEndian: source[i])
                    output[i] = Float(Double(v) / divisor)
                    if (Double(output[i]) * divisor).rounded() != Double(v) { lost += 1 }
                }
            case .float32:
                let source = base.assumingMemoryBound(to: UInt32.self)
                for i in range {
                    output[i] = Float(bitPattern: bigEndian ? UInt32(bigEndian: source[i]) : UInt32(littleEndian: source[i]))
                }
            case .float64:
                let source = base.assumingMemoryBound(to: UInt64.self)
                for i in range {
                    let v = Double(bitPattern: bigEndian ? UInt64(bigEndian: source[i]) : UInt64(littleEndian: source[i]))
                    output[i] = Float(v)
                    if Double(output[i]) != v && !v.isNaN { lost += 1 }
                }
            }
            if lost > 0 { inexact.add(lost) }
        }
        return inexact.count
    }

    /// Encodes samples to little-endian `format`. Integers are rounded and clamped to the format's range, NaN → 0.
    static func encode(_ samples: UnsafeBufferPointer<Float>, format: SampleFormat, scale: IntegerScale, into raw: UnsafeMutableRawBufferPointer) {
        precondition(raw.count >= samples.count * format.byteCount, "raw block too small")
        let shared = UnsafeSendable((samples, raw))
        let divisor = scale.divisor(format)
        Parallel.forEachChunk(count: samples.count, minimumChunkSize: 1 << 16) { range in
            let (samples, raw) = shared.value
            let base = raw.baseAddress!
            switch format {
            case .uint8:
                let target = base.assumingMemoryBound(to: UInt8.self)
                for i in range { target[i] = UInt8(clamped(samples[i], divisor, 0, 255)) }
            case .uint16:
                let target = base.assumingMemoryBound(to: UInt16.self)
                for i in range { target[i] = UInt16(clamped(samples[i], divisor, 0, 65535)).littleEndian }
            case .int16:
                let target = base.assumingMemoryBound(to: Int16.self)
                for i in range { target[i] = Int16(clamped(samples[i], divisor, -32768, 32767)).littleEndian }
            case .uint32:
                let target = base.assumingMemoryBound(to: UInt32.self)
                for i in range { target[i] = UInt32(clamped(samples[i], divisor, 0, 4_294_967_295)).littleEndian }
            case .int32:
                let target = base.assumingMemoryBound(to: Int32.self)
                for i in range { target[i] = Int32(clamped(samples[i], divisor, -2_147_483_648, 2_147_483_647)).littleEndian }
            case .float32:
                let target = base.assumingMemoryBound(to: UInt32.self)
                for i in range { target[i] = samples[i].bitPattern.littleEndian }
            case .float64:
                let target = base.assumingMemoryBound(to: UInt64.self)
                for i in range { target[i] = Double(samples[i]).bitPattern.littleEndian }
            }
        }
    }

    /// `x × divisor` rounded and clamped to `low…high`; NaN → 0.
    @inline(__always) static func clamped(_ x: Float, _ divisor: Double, _ low: Int64, _ high: Int64) -> Int64 {
        guard !x.isNaN else { return 0 }
        let value = (Double(x) * divisor).rounded()
        return value <= Double(low) ? low : value >= Double(high) ? high : Int64(value)
    }
}
