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
    static func read(path: String, layout: FITSStructureCheck.Layout, into output: UnsafeMutableBufferPointer<Float>, divisor: Double) throws -> Int {
        if layout.compressed { return try FITSTileDecoder(path: path, layout: layout).decode(into: output, divisor: divisor) }
        let cards = layout.header
        let bitpix = cards.integer("BITPIX") ?? 0, width = abs(bitpix) / 8
        let bzero = cards.values["BZERO"].flatMap(Double.init) ?? 0, bscale = cards.values["BSCALE"].flatMap(Double.init) ?? 1
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ImageIOError.cannotOpen(path: path, reason: "cannot be opened for reading") }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(layout.dataStart))
        guard let data = try handle.read(upToCount: output.count * width), data.count == output.count * width else {
            throw ImageIOError.truncated(path: path, detail: "image data cut short")
        }
        let bytes = [UInt8](data)
        var inexact = 0
        for index in 0..<output.count {
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
            let value = stored * bscale + bzero
            output[index] = Float(value / divisor)
            if !value.isNaN && (bitpix == 32 || bitpix == 64 || bitpix == -64) && Double(output[index]) * divisor != value
                && (bitpix == -64 || (Double(output[index]) * divisor).rounded() != value) { inexact += 1 }
        }
        return inexact
    }
}
