import Foundation
import LerarCore

/// Writes monolithic XISF 1.0 files: one Image as an attached block (4096-byte aligned when uncompressed, as PCL),
/// FITS keywords and properties, optional compression and checksum.
public enum XISFWriter {
    static let blockAlignment = 4096

    /// Returns the written file's content hash (`ContentHash.ofParts` of the bytes written) when `options.contentHash`.
    @discardableResult
    public static func write(_ image: Image, to path: String, options: ImageWriteOptions = ImageWriteOptions()) throws -> String? {
        let format = options.sampleFormat
        guard format != .int16 && format != .int32 else {
            throw ImageIOError.unsupported(path: path, detail: "XISF has no \(format.rawValue) images; use UInt16 or Float32")
        }
        var compression: XISFCompression?
        if let name = options.compression, name.lowercased() != "none" {
            guard let parsed = XISFCompression(name: name, level: options.compressionLevel) else {
                throw ImageIOError.unsupported(path: path, detail: "unknown XISF codec \"\(name)\" (zlib, lz4, lz4hc, zstd, each optionally +sh)")
            }
            compression = parsed
        }
        return try withEncodedSamples(image, format: format, scale: .fullRange, interleaved: options.normalPixelStorage) { raw in
            if let compression, case let packed = XISFBlockCodec.compress(raw, compression: compression, itemSize: format.byteCount),
               packed.subblocks.count > 1 || packed.bytes.count < raw.count {
                return try packed.bytes.withUnsafeBytes { stored in
                    try writeFile(image, stored: stored, block: (compression, packed.subblocks, raw.count), format: format, to: path, options: options)
                }
            } else {
                // Nothing gained by compressing: stored uncompressed, as PCL does.
                return try writeFile(image, stored: raw, block: nil, format: format, to: path, options: options)
            }
        }
    }

    /// Writes the header and the `stored` block (compressed as `block` says, or raw when it is nil) atomically;
    /// returns the file's content hash when `options.contentHash`.
    private static func writeFile(_ image: Image, stored: UnsafeRawBufferPointer,
                                  block: (compression: XISFCompression, subblocks: [(compressed: Int, uncompressed: Int)], rawCount: Int)?,
                                  format: SampleFormat, to path: String, options: ImageWriteOptions) throws -> String? {
        let checksum = options.checksum.map { algorithm in "\(algorithm.rawValue):" + algorithm.hexDigest(stored) }
        var blockAttributes = ""
        if let block {
            let compression = block.compression
            blockAttributes += " compression=\"\(compression):\(block.rawCount)" + (compression.shuffle ? ":\(format.byteCount)\"" : "\"")
            if block.subblocks.count > 1 {
                blockAttributes += " subblocks=\"" + block.subblocks.map { "\($0.compressed),\($0.uncompressed)" }.joined(separator: ":") + "\""
            }
        }
        if let checksum { blockAttributes += " checksum=\"\(checksum)\"" }
        let aligned = block == nil
        // Block position depends on the header length, which depends on the position's digits: iterate to a fixed point.
        var position = 0, header = Data()
        repeat {
            let previous = position
            header = Data(headerXML(image, format: format, compression: block?.compression, interleaved: options.normalPixelStorage,
                                    location: "attachment:\(position):\(stored.count)", blockAttributes: blockAttributes).utf8)
            position = 16 + header.count
            if aligned { position = (position + blockAlignment - 1) / blockAlignment * blockAlignment }
            if position == previous { break }
        } while true

        var preamble = Data("XISF0100".utf8)
        withUnsafeBytes(of: UInt32(header.count).littleEndian) { preamble.append(contentsOf: $0) }
        preamble.append(contentsOf: [0, 0, 0, 0])
        preamble.append(header)
        preamble.append(Data(count: position - preamble.count))
        try AtomicFileWriter.write(to: path, overwrite: options.overwrite) { temporary in
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            guard descriptor >= 0 else { throw ImageIOError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
            defer { close(descriptor) }
            try preamble.withUnsafeBytes { try AtomicFileWriter.writeAll(descriptor, $0, path: path) }
            try AtomicFileWriter.writeAll(descriptor, stored, path: path)
        }
        return options.contentHash ? preamble.withUnsafeBytes { ContentHash.ofParts([$0, stored]) } : nil
    }

    /// Calls `body` with the image's samples as stored: Float32 planar samples on a little-endian machine are their
    /// own encoding and are passed in place (a registered 4096² frame written through files no longer takes a
    /// second 64 MiB image); any other format or layout is encoded into a copy first.
    static func withEncodedSamples<R>(_ image: Image, format: SampleFormat, scale: IntegerScale, interleaved: Bool,
                                      _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if format == .float32 && (!interleaved || image.channelCount == 1) && 1.littleEndian == 1 {
            return try image.withSamples { try body(UnsafeRawBufferPointer($0)) }
        }
        return try encodedSamples(image, format: format, scale: scale, interleaved: interleaved).withUnsafeBytes(body)
    }

    static func encodedSamples(_ image: Image, format: SampleFormat, scale: IntegerScale, interleaved: Bool) -> [UInt8] {
        let count = image.samples.count * format.byteCount
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            image.withSamples { planar in
                if interleaved && image.channelCount > 1 {
                    let channels = image.channelCount, pixels = image.pixelCount
                    var pixelOrder = [Float](repeating: 0, count: planar.count)
                    for pixel in 0..<pixels { for channel in 0..<channels { pixelOrder[pixel * channels + channel] = planar[channel * pixels + pixel] } }
                    pixelOrder.withUnsafeBufferPointer { SampleCodec.encode($0, format: format, scale: scale, into: UnsafeMutableRawBufferPointer(buffer)) }
                } else {
                    SampleCodec.encode(planar, format: format, scale: scale, into: UnsafeMutableRawBufferPointer(buffer))
                }
            }
            initialized = count
        }
    }

    static func headerXML(_ image: Image, format: SampleFormat, compression: XISFCompression?, interleaved: Bool,
                          location: String, blockAttributes: String) -> String {
        let escape = XMLEscaping.escape
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<xisf version=\"1.0\" xmlns=\"http://www.pixinsight.com/xisf\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.pixinsight.com/xisf http://pixinsight.com/xisf/xisf-1.0.xsd\">\n"
        xml += "<Image geometry=\"\(image.width):\(image.height):\(image.channelCount)\" sampleFormat=\"\(format.rawValue)\""
        if !format.isInteger { xml += " bounds=\"0:1\"" }
        xml += " colorSpace=\"\(image.colorSpace.rawValue)\""
        if interleaved && image.channelCount > 1 { xml += " pixelStorage=\"Normal\"" }
        if let type = image.metadata.imageType { xml += " imageType=\"\(escape(type))\"" }
        xml += " location=\"\(location)\"\(blockAttributes)>\n"
        for keyword in image.metadata.keywords where !FITSStructuralKeywords.isStructural(keyword) {
            xml += "<FITSKeyword name=\"\(escape(keyword.name))\" value=\"\(escape(keyword.value))\" comment=\"\(escape(keyword.comment))\"/>\n"
        }
        for property in image.metadata.properties where !property.id.hasPrefix("XISF:") {
            xml += XISFPropertyCodec.encode(property) + "\n"
        }
        xml += "</Image>\n<Metadata>\n"
        let now = ISO8601DateFormatter().string(from: Self.creationTime())
        xml += "<Property id=\"XISF:CreationTime\" type=\"TimePoint\" value=\"\(now)\"/>\n"
        xml += "<Property id=\"XISF:CreatorApplication\" type=\"String\">\(escape(LerarVersion.application))</Property>\n"
        xml += "<Property id=\"XISF:CreatorOS\" type=\"String\">Linux</Property>\n"
        if let compression {
            xml += "<Property id=\"XISF:CompressionCodecs\" type=\"String\">\(compression)</Property>\n"
            if let level = compression.level { xml += "<Property id=\"XISF:CompressionLevel\" type=\"Int32\" value=\"\(level)\"/>\n" }
        } else {
            xml += "<Property id=\"XISF:BlockAlignmentSize\" type=\"UInt16\" value=\"\(blockAlignment)\"/>\n"
        }
        xml += "</Metadata>\n</xisf>"
        return xml
    }
}

extension XISFWriter {
    /// The file's creation time: now, or `SOURCE_DATE_EPOCH` (s since 1970) where set, the reproducible-builds
    /// convention, so two runs (local or on a cluster) can be compared byte for byte.
    static func creationTime() -> Date {
        if let text = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        return Date()
    }
}
