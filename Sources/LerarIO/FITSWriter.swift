import CFITSIO
import Foundation
import LerarCore

/// Writes FITS images through cfitsio: any sample format (UInt16 and Float32 are the usual ones), gray or 3-plane
/// colour, optionally tile-compressed (lossless for floats: no quantisation).
public enum FITSWriter {
    /// Tile-compression algorithms by the names the CLI accepts. Float images always use lossless GZIP
    /// (RICE would need quantisation, which loses data). HCOMPRESS and PLIO are not offered: Lerar does not read them.
    static let compressionTypes: [String: Int32] = ["rice": RICE_1, "gzip": GZIP_1, "gzip2": GZIP_2]

    public static func write(_ image: Image, to path: String, options: ImageWriteOptions = ImageWriteOptions()) throws {
        let format = options.sampleFormat
        var compressionType: Int32?
        if let name = options.compression?.lowercased(), name != "none" {
            guard let type = compressionTypes[name] else {
                throw ImageIOError.unsupported(path: path, detail: "unknown FITS compression \"\(name)\" (rice, gzip, gzip2)")
            }
            compressionType = type
        } else if options.compression == nil && ImageFileFormat.wantsTileCompression(path: path) {
            compressionType = RICE_1
        }
        let (imageType, datatype): (Int32, Int32) = switch format {
        case .uint8: (BYTE_IMG, TBYTE)
        case .uint16: (USHORT_IMG, TUSHORT)
        case .int16: (SHORT_IMG, TSHORT)
        case .uint32: (ULONG_IMG, TUINT)
        case .int32: (LONG_IMG, TINT)
        case .float32: (FLOAT_IMG, TFLOAT)
        case .float64: (DOUBLE_IMG, TDOUBLE)
        }
        let raw = XISFWriter.encodedSamples(image, format: format, scale: .adu16, interleaved: false)
        try AtomicFileWriter.write(to: path, overwrite: options.overwrite) { temporary in
            let handle = try FITSHandle.create(temporary, reportedPath: path)
            var status: Int32 = 0
            if let compressionType {
                if format.isInteger {
                    fits_set_compression_type(handle.pointer, compressionType, &status)
                } else {
                    // Floats are never quantised (level 0); cfitsio then compresses them losslessly only with GZIP.
                    let lossless = compressionType == GZIP_1 ? GZIP_1 : GZIP_2
                    fits_set_compression_type(handle.pointer, lossless, &status)
                    fits_set_quantize_level(handle.pointer, 0, &status)
                }
                try handle.check(status)
            }
            var axes: [Int64] = image.channelCount == 1 ? [Int64(image.width), Int64(image.height)]
                                                         : [Int64(image.width), Int64(image.height), Int64(image.channelCount)]
            ffcrimll(handle.pointer, imageType, Int32(axes.count), &axes, &status)
            try handle.check(status)
            try writeKeywords(image.metadata.keywords, handle: handle)
            var mutableRaw = raw
            mutableRaw.withUnsafeMutableBytes { bytes in
                _ = ffppr(handle.pointer, datatype, 1, Int64(image.samples.count), bytes.baseAddress, &status)
            }
            try handle.check(status)
            try handle.close()
        }
    }

    static func writeKeywords(_ keywords: [FITSKeyword], handle: FITSHandle) throws {
        var status: Int32 = 0
        var card = [CChar](repeating: 0, count: 81)
        // FITS headers are printable ASCII; anything else would corrupt the card, so it becomes '?'.
        func ascii(_ text: String) -> String {
            String(String.UnicodeScalarView(text.unicodeScalars.map { (32...126).contains($0.value) ? $0 : "?" }))
        }
        for keyword in keywords where !FITSStructuralKeywords.isStructural(keyword) && !keyword.name.isEmpty {
            switch keyword.name {
            case "HISTORY": ffphis(handle.pointer, ascii(keyword.comment), &status)
            case "COMMENT": ffpcom(handle.pointer, ascii(keyword.comment), &status)
            default:
                var value = Array(ascii(keyword.value).utf8CString)
                ffmkky(ascii(keyword.name), &value, ascii(keyword.comment), &card, &status)
                ffprec(handle.pointer, card, &status)
            }
            try handle.check(status)
        }
    }
}
