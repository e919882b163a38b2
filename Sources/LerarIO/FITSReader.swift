import CFITSIO
import Foundation
import LerarCore

/// Reads FITS images: 8/16/32-bit integers (BZERO/BSCALE, unsigned 16/32-bit), 32/64-bit floats, 2-D or 3-plane
/// colour, from the primary HDU (through cfitsio) or the first image extension, tile-compressed (.fz) included
/// (by Lerar: `FITSExtensionReader`). Integers are read on the 16-bit ADU scale (`IntegerScale.adu16`). Every header
/// up to the image is checked by `FITSStructureCheck` before cfitsio opens the file. Rows are kept in file order
/// (row 0 = first stored row), as astropy's `data[y, x]`.
public enum FITSReader {
    public static func readHeader(_ path: String) throws -> ImageFileHeader {
        try open(path).header
    }

    public static func read(_ path: String) throws -> Image {
        let opened = try open(path)
        let header = opened.header
        var inexact = 0
        if let handle = opened.handle, let decoding = opened.storage.decoding {
            // A plain primary image: decoded by Lerar in parallel into samples that are not zero-filled first.
            try handle.close()
            var image = try Image(width: header.width, height: header.height, colorSpace: header.colorSpace, metadata: header.metadata) {
                inexact = try SampleFileReader.read(path: path, dataStart: opened.dataStart, format: decoding.format, scale: .adu16, bigEndian: true,
                                                    offsetSign: decoding.offsetSign, into: $0)
            }
            image.sourceSampleFormat = header.sampleFormat
            image.inexactSourceSamples = inexact
            return image
        }
        var image = Image(width: header.width, height: header.height, colorSpace: header.colorSpace, metadata: header.metadata)
        let total = image.samples.count
        var status: Int32 = 0
        guard let handle = opened.handle else {
            // An extension image (compressed or not), read by Lerar.
            let divisor: Double = if case let .stored(format, _) = opened.storage { IntegerScale.adu16.divisor(format) } else { 1 }
            inexact = try image.withMutableSamples { try FITSExtensionReader.read(path: path, layout: opened.layout, storage: opened.storage, into: $0, divisor: divisor) }
            image.sourceSampleFormat = header.sampleFormat
            image.inexactSourceSamples = inexact
            return image
        }
        try image.withMutableSamples { output in
            // Read in chunks of ~4 Mi samples into the file's own type, then normalise in parallel.
            let chunk = 1 << 22
            var first = 0
            switch opened.storage {
            case let .stored(format, datatype):
                var scratch = [UInt8](repeating: 0, count: min(chunk, total) * format.byteCount)
                while first < total {
                    let count = min(chunk, total - first)
                    scratch.withUnsafeMutableBytes { raw in
                        _ = ffgpv(handle.pointer, datatype, Int64(first + 1), Int64(count), nil, raw.baseAddress, nil, &status)
                    }
                    try handle.check(status)
                    inexact += scratch.withUnsafeBytes { raw in
                        SampleCodec.decode(raw, format: format, scale: .adu16, into: UnsafeMutableBufferPointer(rebasing: output[first..<(first + count)]))
                    }
                    first += count
                }
            case .physical:
                // Float data (and unusual BSCALE integers): physical values as cfitsio scales them; NaN stays NaN.
                _ = ffgpv(handle.pointer, TFLOAT, 1, Int64(total), nil, output.baseAddress, nil, &status)
                try handle.check(status)
            }
        }
        try handle.close()
        image.sourceSampleFormat = header.sampleFormat
        image.inexactSourceSamples = inexact
        return image
    }

    enum Storage {
        /// Samples of this format (as cfitsio returns them with this datatype, BZERO applied) for `SampleCodec`.
        case stored(SampleFormat, Int32)
        /// Float32 physical values straight from cfitsio (integers with an unusual BSCALE/BZERO, scaled floats).
        case physical

        /// For a plain primary-HDU image, what `SampleFileReader` decodes instead of cfitsio: the stored format, and
        /// whether the stored integers carry the unsigned offset (BZERO 2^15 or 2^31); nil where cfitsio's scaling is
        /// needed. Stored samples need no scaling, so Lerar's values are cfitsio's (which checks no nulls: BLANK
        /// integers stay numbers, NaN stays NaN).
        var decoding: (format: SampleFormat, offsetSign: Bool)? {
            guard case let .stored(format, _) = self else { return nil }
            return (format, format == .uint16 || format == .uint32)
        }
    }

    struct Opened {
        /// cfitsio's handle for a primary-HDU image; nil for an extension image, which Lerar reads itself.
        var handle: FITSHandle?
        var header: ImageFileHeader
        var storage: Storage
        /// Where the image is, as `FITSStructureCheck` found it.
        var layout: FITSStructureCheck.Layout
        /// Where a primary-HDU image's data start (cfitsio's offset), for `SampleFileReader`.
        var dataStart = 0
    }

    /// Sample format and how to read it, from BITPIX, BZERO and BSCALE.
    static func storage(bitpix: Int32, bzero: Double, bscale: Double, path: String) throws -> (SampleFormat, Storage) {
        switch (bitpix, bzero, bscale) {
        case (8, 0, 1): (.uint8, .stored(.uint8, TBYTE))
        case (16, 32768, 1): (.uint16, .stored(.uint16, TUSHORT))
        case (16, 0, 1): (.int16, .stored(.int16, TSHORT))
        case (32, 2_147_483_648, 1): (.uint32, .stored(.uint32, TUINT))
        case (32, 0, 1): (.int32, .stored(.int32, TINT))
        case (-64, 0, 1): (.float64, .stored(.float64, TDOUBLE))
        case (-64, _, _): (.float64, .physical)
        case (-32, 0, 1): (.float32, .stored(.float32, TFLOAT))
        case (-32, _, _): (.float32, .physical)
        case (8, _, _), (16, _, _), (32, _, _): (.float32, .physical)
        default: throw ImageIOError.unsupported(path: path, detail: "BITPIX = \(bitpix)")
        }
    }

    static func open(_ path: String) throws -> Opened {
        let size = try fileSize(path)
        guard size >= 2880 else { throw ImageIOError.truncated(path: path, detail: "\(size) bytes, shorter than one 2880-byte FITS header block") }
        if let start = FileHandle(forReadingAtPath: path).flatMap({ try? $0.read(upToCount: 6) }), start != Data("SIMPLE".utf8) {
            throw ImageIOError.malformed(path: path, detail: "no SIMPLE card at the start (not a FITS file)")
        }
        guard let layout = try FITSStructureCheck.check(path: path, size: size) else {
            throw ImageIOError.malformed(path: path, detail: "no image HDU in the file")
        }
        if layout.hdu > 0 || layout.compressed {
            let (header, storage) = try FITSExtensionReader.header(path: path, layout: layout, fileSize: size)
            return Opened(handle: nil, header: header, storage: storage, layout: layout)
        }
        // A primary-HDU image: cfitsio opens the file and reads only that header.
        let handle = try FITSHandle.openForReading(path)
        var status: Int32 = 0
        var type: Int32 = 0, dimensions: Int32 = 0
        ffghdt(handle.pointer, &type, &status)
        ffgidm(handle.pointer, &dimensions, &status)
        try handle.check(status)
        guard type == IMAGE_HDU && dimensions > 0 else { throw ImageIOError.malformed(path: path, detail: "no image HDU in the file") }
        var bitpix: Int32 = 0, naxis: Int32 = 0
        var axes = [Int64](repeating: 0, count: 3)
        ffgiprll(handle.pointer, 3, &bitpix, &naxis, &axes, &status)
        try handle.check(status)
        guard naxis >= 2 else { throw ImageIOError.unsupported(path: path, detail: "NAXIS = \(naxis): only 2-D images and 3-plane colour are supported") }
        guard naxis <= 3 else { throw ImageIOError.unsupported(path: path, detail: "NAXIS = \(naxis): more than 3 axes") }
        let planes = naxis == 3 ? axes[2] : 1
        guard axes[0] > 0, axes[1] > 0, planes > 0 else {
            throw ImageIOError.malformed(path: path, detail: "zero-sized axis (NAXIS1=\(axes[0]) NAXIS2=\(axes[1])\(naxis == 3 ? " NAXIS3=\(axes[2])" : ""))")
        }
        guard planes == 1 || planes == 3 else { throw ImageIOError.unsupported(path: path, detail: "NAXIS3 = \(planes): only 1 or 3 planes are supported") }

        let samples = axes[0].multipliedReportingOverflow(by: axes[1] * planes)
        let bytesPerSample = Int64(abs(bitpix) / 8)
        guard !samples.overflow, samples.partialValue < Int64(Int32.max) * 64 else {
            throw ImageIOError.tooLarge(path: path, detail: "geometry \(axes[0])×\(axes[1])×\(planes) is implausibly large")
        }
        var headStart: Int64 = 0, dataStart: Int64 = 0, dataEnd: Int64 = 0
        ffghadll(handle.pointer, &headStart, &dataStart, &dataEnd, &status)
        try handle.check(status)
        let needed = dataStart + samples.partialValue * bytesPerSample
        guard needed <= Int64(size) else {
            throw ImageIOError.truncated(path: path, detail: "image data needs bytes up to \(needed), file has \(size)")
        }
        let memory = Int64(clamping: ProcessInfo.processInfo.physicalMemory)
        guard samples.partialValue * 4 <= memory else {
            throw ImageIOError.tooLarge(path: path, detail: "the image needs \(samples.partialValue * 4) bytes, more than this machine's memory")
        }

        let bzero = readDouble(handle, "BZERO") ?? 0, bscale = readDouble(handle, "BSCALE") ?? 1
        let (format, storage) = try Self.storage(bitpix: bitpix, bzero: bzero, bscale: bscale, path: path)

        var metadata = ImageMetadata()
        var keywordCount: Int32 = 0, more: Int32 = 0
        ffghsp(handle.pointer, &keywordCount, &more, &status)
        try handle.check(status)
        var name = [CChar](repeating: 0, count: 80), value = [CChar](repeating: 0, count: 80), comment = [CChar](repeating: 0, count: 80)
        for index in 1...max(1, keywordCount) where keywordCount > 0 {
            ffgkyn(handle.pointer, index, &name, &value, &comment, &status)
            try handle.check(status)
            let keyword = FITSKeyword(name: FITSHandle.string(name), value: FITSHandle.string(value), comment: FITSHandle.string(comment))
            if !FITSStructuralKeywords.isStructural(keyword) { metadata.keywords.append(keyword) }
        }
        let header = ImageFileHeader(path: path, format: .fits, width: Int(axes[0]), height: Int(axes[1]),
                                     colorSpace: planes == 3 ? .rgb : .gray, sampleFormat: format, compression: nil,
                                     pixelStorage: "Planar", checksum: nil, metadata: metadata, warnings: [])
        return Opened(handle: handle, header: header, storage: storage, layout: layout, dataStart: Int(dataStart))
    }

    static func readDouble(_ handle: FITSHandle, _ key: String) -> Double? {
        var status: Int32 = 0, value = 0.0
        ffgky(handle.pointer, TDOUBLE, key, &value, nil, &status)
        return status == 0 ? value : nil
    }

    static func fileSize(_ path: String) throws -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ImageIOError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ImageIOError.cannotOpen(path: path, reason: "not a regular file") }
        return Int(info.st_size)
    }
}
