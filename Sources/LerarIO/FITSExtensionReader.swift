import Foundation
import LerarCore

/// Images in FITS extensions — tile-compressed (`.fz`) or plain IMAGE extensions behind an empty primary HDU — are
/// read by Lerar from the cards `FITSStructureCheck` parsed, never by cfitsio: cfitsio parses a compressed HDU's
/// parameters as soon as it moves to it, and reads odd cards (`ZIMAGE   =`, `ZVAL1 =0  32`, duplicates) otherwise
/// than they look, dividing by zero on some (found by `make fuzz`). cfitsio reads plain primary images only.
enum FITSExtensionReader {
    /// The image's header from the parsed cards.
    static func header(path: String, layout: FITSStructureCheck.Layout, fileSize: Int) throws -> (ImageFileHeader, FITSReader.Storage) {
        let cards = layout.header
        let prefix = layout.compressed ? "Z" : ""
        guard let bitpix = cards.integer(prefix + "BITPIX"), let naxis = cards.integer(prefix + "NAXIS") else {
            throw ImageIOError.malformed(path: path, detail: "HDU \(layout.hdu + 1) has no \(prefix)BITPIX/\(prefix)NAXIS")
        }
        guard naxis >= 2 else { throw ImageIOError.unsupported(path: path, detail: "NAXIS = \(naxis): only 2-D images and 3-plane colour are supported") }
        guard naxis <= 3 else { throw ImageIOError.unsupported(path: path, detail: "NAXIS = \(naxis): more than 3 axes") }
        let axes = (1...naxis).map { cards.integer(prefix + "NAXIS\($0)") ?? 0 }
        let planes = naxis == 3 ? axes[2] : 1
        guard axes[0] > 0, axes[1] > 0, planes > 0 else {
            throw ImageIOError.malformed(path: path, detail: "zero-sized axis (NAXIS1=\(axes[0]) NAXIS2=\(axes[1])\(naxis == 3 ? " NAXIS3=\(axes[2])" : ""))")
        }
        guard planes == 1 || planes == 3 else { throw ImageIOError.unsupported(path: path, detail: "NAXIS3 = \(planes): only 1 or 3 planes are supported") }
        let samples = axes[0].multipliedReportingOverflow(by: axes[1] * planes)
        guard !samples.overflow, samples.partialValue < Int(Int32.max) * 64 else {
            throw ImageIOError.tooLarge(path: path, detail: "geometry \(axes[0])×\(axes[1])×\(planes) is implausibly large")
        }
        if !layout.compressed {
            guard samples.partialValue * abs(bitpix) / 8 <= layout.dataBytes else {
                throw ImageIOError.truncated(path: path, detail: "image data needs \(samples.partialValue * abs(bitpix) / 8) bytes, the HDU holds \(layout.dataBytes)")
            }
        }
        let memory = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        guard samples.partialValue * 4 <= memory else {
            throw ImageIOError.tooLarge(path: path, detail: "the image needs \(samples.partialValue * 4) bytes, more than this machine's memory")
        }
        let bzero = cards.values["BZERO"].flatMap(Double.init) ?? 0, bscale = cards.values["BSCALE"].flatMap(Double.init) ?? 1
        let (format, storage) = try FITSReader.storage(bitpix: Int32(bitpix), bzero: bzero, bscale: bscale, path: path)
        var metadata = ImageMetadata()
        metadata.keywords = cards.cards.filter { !FITSStructuralKeywords.isStructural($0) }
        let header = ImageFileHeader(path: path, format: .fits, width: axes[0], height: axes[1], colorSpace: planes == 3 ? .rgb : .gray,
                                     sampleFormat: format, compression: layout.compressed ? cards.values["ZCMPTYPE"] ?? "tile-compressed" : nil,
                                     pixelStorage: "Planar", checksum: nil, metadata: metadata, warnings: [])
        return (header, storage)
    }

    /// The samples of an extension image into `output`: physical value / `divisor`; returns the inexact count.
    /// Unscaled integers and floats (`Storage.decoding`) are decoded by `SampleFileReader`, as a primary image is, so
    /// an image reads the same in either HDU; scaled ones (an unusual BSCALE/BZERO) are scaled here in Double.
    static func read(path: String, layout: FITSStructureCheck.Layout, storage: FITSReader.Storage,
                     into output: UnsafeMutableBufferPointer<Float>, divisor: Double) throws -> Int {
        if layout.compressed { return try FITSTileDecoder(path: path, layout: layout).decode(into: output, divisor: divisor) }
        if let decoding = storage.decoding {
            return try SampleFileReader.read(path: path, dataStart: layout.dataStart, format: decoding.format, scale: .adu16, bigEndian: true,
                                             offsetSign: decoding.offsetSign, into: output)
        }
        return try readScaled(path: path, layout: layout, into: output, divisor: divisor)
    }

    /// Integers or floats with an unusual BSCALE/BZERO: stored × BSCALE + BZERO in Double, then / `divisor`, in
    /// parallel chunks read with `pread`. Counts the 32/64-bit values a Float32 does not hold.
    static func readScaled(path: String, layout: FITSStructureCheck.Layout, into output: UnsafeMutableBufferPointer<Float>, divisor: Double) throws -> Int {
        let cards = layout.header
        let bitpix = cards.integer("BITPIX") ?? 0, width = abs(bitpix) / 8
        let bzero = cards.values["BZERO"].flatMap(Double.init) ?? 0, bscale = cards.values["BSCALE"].flatMap(Double.init) ?? 1
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ImageIOError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let inexact = Tally(), failure = FirstError(), shared = UnsafeSendable(output)
        let wide = bitpix == 32 || bitpix == 64 || bitpix == -64
        Parallel.forEachChunk(count: output.count, minimumChunkSize: SampleFileReader.piece) { chunk in
            let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: min(SampleFileReader.piece, chunk.count) * width, alignment: 16)
            defer { bytes.deallocate() }
            var first = chunk.lowerBound, lost = 0
            defer { if lost > 0 { inexact.add(lost) } }
            while first < chunk.upperBound, !failure.failed {
                let count = min(SampleFileReader.piece, chunk.upperBound - first)
                do { try SampleFileReader.readFully(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<(count * width)]),
                                                    at: layout.dataStart + first * width, path: path) } catch { failure.record(error); return }
                for index in 0..<count {
                    var raw: UInt64 = 0
                    for byte in 0..<width { raw = raw << 8 | UInt64(bytes[index * width + byte]) }
                    let stored: Double = switch bitpix {
                    case 8: Double(raw)
                    case 16: Double(Int16(truncatingIfNeeded: raw))
                    case 32: Double(Int32(truncatingIfNeeded: raw))
                    case 64: Double(Int64(bitPattern: raw))
                    case -32: Double(Float(bitPattern: UInt32(raw)))
                    default: Double(bitPattern: raw)
                    }
                    let value = stored * bscale + bzero, sample = Float(value / divisor)
                    shared.value[first + index] = sample
                    if wide && !value.isNaN && Double(sample) * divisor != value && (bitpix == -64 || (Double(sample) * divisor).rounded() != value) { lost += 1 }
                }
                first += count
            }
        }
        if let error = failure.first { throw error }
        return inexact.count
    }
}
