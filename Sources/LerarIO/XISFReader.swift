import Foundation
import LerarCore

/// Reads monolithic XISF 1.0 files (the first Image element): UInt8/16/32 and Float32/64, planar or normal,
/// Gray or RGB, attached/inline/embedded blocks, zlib/lz4/lz4hc/zstd with byte shuffling, checksums verified.
public enum XISFReader {
    static let signature = Array("XISF0100".utf8)
    /// PCL's minimum header length (an empty header).
    static let minimumHeaderLength = 65

    /// The header of `path`: geometry, sample format, compression and metadata, without reading pixels.
    public static func readHeader(_ path: String) throws -> ImageFileHeader {
        try parse(path).header
    }

    /// The image of `path`, samples normalised to [0,1] for integer formats.
    public static func read(_ path: String) throws -> Image {
        let parsed = try parse(path)
        let header = parsed.header
        let expected = try byteCount(header, path: path)
        var inexact = 0
        if header.pixelStorage != "Normal" || header.channelCount == 1, let position = try parsed.block.plainAttachment(in: parsed.file, expectedSize: expected) {
            // Planar samples as stored: read and decoded in parallel straight into the image.
            var image = try Image(width: header.width, height: header.height, colorSpace: header.colorSpace, metadata: header.metadata) {
                inexact = try SampleFileReader.read(path: path, dataStart: position, format: header.sampleFormat, scale: .fullRange,
                                                    bigEndian: parsed.block.bigEndian, into: $0)
            }
            image.sourceSampleFormat = header.sampleFormat
            image.inexactSourceSamples = inexact
            return image
        }
        let bytes = try parsed.block.read(from: parsed.file, expectedSize: expected)
        var image = Image(width: header.width, height: header.height, colorSpace: header.colorSpace, metadata: header.metadata) { output in
            bytes.withUnsafeBytes { raw in
                if header.pixelStorage == "Normal" && header.channelCount > 1 {
                    // Pixel-interleaved: decode, then de-interleave into planes.
                    var interleaved = [Float](repeating: 0, count: output.count)
                    inexact = interleaved.withUnsafeMutableBufferPointer { SampleCodec.decode(raw, format: header.sampleFormat, scale: .fullRange, bigEndian: parsed.block.bigEndian, into: $0) }
                    let channels = header.channelCount, pixels = header.width * header.height
                    for pixel in 0..<pixels { for channel in 0..<channels { output[channel * pixels + pixel] = interleaved[pixel * channels + channel] } }
                } else {
                    inexact = SampleCodec.decode(raw, format: header.sampleFormat, scale: .fullRange, bigEndian: parsed.block.bigEndian, into: output)
                }
            }
        }
        image.sourceSampleFormat = header.sampleFormat
        image.inexactSourceSamples = inexact
        return image
    }

    static func byteCount(_ header: ImageFileHeader, path: String) throws -> Int {
        var total = header.width.multipliedReportingOverflow(by: header.height)
        if !total.overflow { total = total.partialValue.multipliedReportingOverflow(by: header.channelCount * header.sampleFormat.byteCount) }
        guard !total.overflow else { throw ImageIOError.tooLarge(path: path, detail: "geometry \(header.width)×\(header.height) overflows") }
        return total.partialValue
    }

    struct Parsed {
        var header: ImageFileHeader
        var block: XISFDataBlock
        var file: XISFFileAccess
    }

    static func parse(_ path: String) throws -> Parsed {
        let file = try XISFFileAccess(path: path)
        guard file.size >= 16 else { throw ImageIOError.truncated(path: path, detail: "\(file.size) bytes, shorter than the 16-byte XISF preamble") }
        let preamble = try file.read(at: 0, count: 16)
        guard Array(preamble[0..<4]) == Array("XISF".utf8) else { throw ImageIOError.malformed(path: path, detail: "no XISF signature (not an XISF file)") }
        guard Array(preamble[0..<8]) == signature else { throw ImageIOError.unsupported(path: path, detail: "not an XISF 1.0 monolithic file (signature \(String(decoding: preamble[0..<8], as: UTF8.self)))") }
        let headerLength = Int(UInt32(preamble[8]) | UInt32(preamble[9]) << 8 | UInt32(preamble[10]) << 16 | UInt32(preamble[11]) << 24)
        guard headerLength >= minimumHeaderLength else { throw ImageIOError.malformed(path: path, detail: "header length \(headerLength) is below the minimum of \(minimumHeaderLength)") }
        guard 16 + headerLength <= file.size else {
            throw ImageIOError.truncated(path: path, detail: "header length \(headerLength) runs past the end of the file (\(file.size) bytes)")
        }
        file.dataStart = 16 + headerLength
        let root = try XMLHeaderParser.parse(Data(try file.read(at: 16, count: headerLength)), path: path)
        guard root.name == "xisf" else { throw ImageIOError.malformed(path: path, detail: "root element is <\(root.name)>, not <xisf>") }
        guard root.attributes["version"] == "1.0" else {
            throw ImageIOError.unsupported(path: path, detail: "XISF version \(root.attributes["version"] ?? "missing"), only 1.0 is supported")
        }
        guard let imageElement = root.children(named: "Image").first else { throw ImageIOError.malformed(path: path, detail: "the file holds no <Image>") }
        var warnings: [String] = []
        for child in root.children where !["Image", "Metadata", "Property", "FITSKeyword", "Signature"].contains(child.name) {
            warnings.append("unknown element <\(child.name)> skipped")
        }
        let (header, block) = try parseImage(imageElement, file: file, warnings: &warnings)
        return Parsed(header: header, block: block, file: file)
    }

    static func parseImage(_ element: XMLNode, file: XISFFileAccess, warnings: inout [String]) throws -> (ImageFileHeader, XISFDataBlock) {
        let path = file.path
        let attributes = element.attributes
        guard let geometry = attributes["geometry"] else { throw ImageIOError.malformed(path: path, detail: "<Image> has no geometry") }
        let dimensions = geometry.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard dimensions.allSatisfy({ $0 != nil }), dimensions.count >= 2 else {
            throw ImageIOError.malformed(path: path, detail: "malformed geometry \"\(geometry)\"")
        }
        guard dimensions.count == 3 else { throw ImageIOError.unsupported(path: path, detail: "geometry \"\(geometry)\": only two-dimensional images are supported") }
        let (width, height, channels) = (dimensions[0]!, dimensions[1]!, dimensions[2]!)
        guard width > 0, height > 0, channels > 0 else { throw ImageIOError.malformed(path: path, detail: "geometry \"\(geometry)\" has a zero or negative dimension") }
        guard let formatName = attributes["sampleFormat"] else { throw ImageIOError.malformed(path: path, detail: "<Image> has no sampleFormat") }
        guard let sampleFormat = SampleFormat(rawValue: formatName), sampleFormat != .int16, sampleFormat != .int32 else {
            throw ImageIOError.unsupported(path: path, detail: "sample format \"\(formatName)\"")
        }
        if !sampleFormat.isInteger {
            guard let bounds = attributes["bounds"] else { throw ImageIOError.malformed(path: path, detail: "floating point image without the mandatory bounds attribute") }
            let limits = bounds.split(separator: ":").compactMap { Double($0) }
            guard limits.count == 2 else { throw ImageIOError.malformed(path: path, detail: "malformed bounds \"\(bounds)\"") }
            if limits != [0, 1] { warnings.append("bounds \(bounds): samples kept as stored, not rescaled to [0,1]") }
        }
        let colorSpace: ColorSpace
        switch attributes["colorSpace"] {
        case nil:
            warnings.append("no colorSpace attribute; assuming Gray")
            colorSpace = channels == 3 ? .rgb : .gray
        case "Gray": colorSpace = channels == 3 ? .rgb : .gray
        case "RGB": colorSpace = .rgb
        case let other?: throw ImageIOError.unsupported(path: path, detail: "color space \"\(other)\"")
        }
        guard channels == colorSpace.channelCount else {
            throw ImageIOError.unsupported(path: path, detail: "\(channels) channels in color space \(attributes["colorSpace"] ?? "Gray") (1 gray or 3 RGB channels are supported)")
        }
        let storage: String
        switch attributes["pixelStorage"]?.lowercased() {
        case nil, "planar": storage = "Planar"
        case "normal": storage = "Normal"
        case let other?: throw ImageIOError.malformed(path: path, detail: "invalid pixelStorage \"\(other)\"")
        }
        let block = try XISFDataBlock(element: element, path: path)
        if case .inline = block.location { throw ImageIOError.malformed(path: path, detail: "<Image> data cannot be inline") }

        var metadata = ImageMetadata(imageType: attributes["imageType"])
        for child in element.children {
            switch child.name {
            case "FITSKeyword":
                guard let name = child.attributes["name"] else { throw ImageIOError.malformed(path: path, detail: "<FITSKeyword> without a name") }
                metadata.keywords.append(FITSKeyword(name: name, value: child.attributes["value"] ?? "", comment: child.attributes["comment"] ?? ""))
            case "Property":
                if let property = try XISFPropertyCodec.decode(child, file: file, warnings: &warnings) { metadata.properties.append(property) }
            case "Data", "ColorFilterArray", "Resolution", "ICCProfile", "RGBWorkingSpace", "DisplayFunction", "Thumbnail", "Reference":
                break
            default:
                warnings.append("unknown element <\(child.name)> in <Image> skipped")
            }
        }
        let compressionName = block.compression.map { $0.description }
        let header = ImageFileHeader(path: path, format: .xisf, width: width, height: height, colorSpace: colorSpace,
                                     sampleFormat: sampleFormat, compression: compressionName, pixelStorage: storage,
                                     checksum: block.checksum?.algorithm.rawValue, metadata: metadata, warnings: warnings)
        return (header, block)
    }
}
