import Foundation
import LerarCore
import Testing
@testable import LerarIO

@Suite struct XISFRoundTripTests {
    static let codecs: [String?] = [nil, "zlib", "zlib+sh", "lz4", "lz4+sh", "lz4hc", "lz4hc+sh", "zstd", "zstd+sh"]
    static let formats: [SampleFormat] = [.uint8, .uint16, .uint32, .float32, .float64]

    @Test(arguments: formats, codecs)
    func everyFormatAndCodecRoundTrips(format: SampleFormat, codec: String?) throws {
        let folder = TemporaryFolder()
        for colorSpace in ColorSpace.allCases {
            let image = sampleImage(colorSpace: colorSpace, format: format)
            let path = folder.file("\(format)-\(colorSpace).xisf")
            try XISFWriter.write(image, to: path, options: ImageWriteOptions(sampleFormat: format, compression: codec))
            let back = try XISFReader.read(path)
            #expect(back.width == image.width && back.height == image.height && back.colorSpace == colorSpace)
            #expect(back.sourceSampleFormat == format)
            #expect(back.samples == image.samples, "pixels differ for \(format) \(codec ?? "none") \(colorSpace)")
            #expect(back.metadata.keywords == image.metadata.keywords)
            #expect(back.metadata.properties == image.metadata.properties)
            let header = try XISFReader.readHeader(path)
            #expect(header.compression == codec.flatMap { XISFCompression(name: $0)?.description })
        }
    }

    /// A compressed block, and Float32 samples written in place (no encoded copy) with the checksum over them.
    @Test(arguments: DigestAlgorithm.allCases, [SampleFormat.uint16, .float32])
    func checksumsAreWrittenAndVerified(algorithm: DigestAlgorithm, format: SampleFormat) throws {
        let folder = TemporaryFolder()
        let image = sampleImage(colorSpace: format == .float32 ? .rgb : .gray, format: format)
        let path = folder.file("sum.xisf")
        try XISFWriter.write(image, to: path, options: ImageWriteOptions(sampleFormat: format, compression: format == .uint16 ? "lz4+sh" : nil, checksum: algorithm))
        #expect(try XISFReader.readHeader(path).checksum == algorithm.rawValue)
        #expect(try XISFReader.read(path).samples == image.samples)
        // Flip one byte of the data block: the checksum must catch it.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 3] ^= 0x40
        writeBytes(bytes, to: path)
        #expect(throws: ImageIOError.self) { try XISFReader.read(path) }
        do { _ = try XISFReader.read(path) } catch let error as ImageIOError {
            guard case .checksumMismatch = error else { Issue.record("expected a checksum mismatch, got \(error)"); return }
        }
    }

    @Test func normalPixelStorageRoundTrips() throws {
        let folder = TemporaryFolder()
        let image = sampleImage(colorSpace: .rgb, format: .float32)
        let path = folder.file("normal.xisf")
        try XISFWriter.write(image, to: path, options: ImageWriteOptions(sampleFormat: .float32, compression: "zstd+sh", normalPixelStorage: true))
        #expect(try XISFReader.readHeader(path).pixelStorage == "Normal")
        #expect(try XISFReader.read(path).samples == image.samples)
    }

    @Test func uncompressedBlocksAreAlignedAndPreambleIsValid() throws {
        let folder = TemporaryFolder()
        let path = folder.file("a.xisf")
        try XISFWriter.write(sampleImage(), to: path, options: ImageWriteOptions(sampleFormat: .uint16))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(Array(bytes[0..<8]) == Array("XISF0100".utf8))
        #expect(Array(bytes[12..<16]) == [0, 0, 0, 0])
        let header = String(decoding: bytes[16..<(16 + Int(bytes[8]) + Int(bytes[9]) << 8)], as: UTF8.self)
        #expect(header.contains("location=\"attachment:4096:\(37 * 23 * 2)\""))
        #expect(bytes.count == 4096 + 37 * 23 * 2)
    }

    @Test func nanSamplesSurviveFloatRoundTrips() throws {
        let folder = TemporaryFolder()
        var image = sampleImage(format: .float32)
        image[3, 4] = .nan
        for (name, codec) in [("n.xisf", nil), ("z.xisf", "zstd+sh")] as [(String, String?)] {
            try XISFWriter.write(image, to: folder.file(name), options: ImageWriteOptions(compression: codec))
            let back = try XISFReader.read(folder.file(name))
            #expect(back[3, 4].isNaN)
            #expect(back.samples.map(\.bitPattern) == image.samples.map(\.bitPattern))
        }
    }

    @Test func incompressibleDataIsStoredRaw() throws {
        let folder = TemporaryFolder()
        let image = sampleImage(width: 64, height: 64, format: .float32) // random floats barely compress with lz4
        let path = folder.file("raw.xisf")
        try XISFWriter.write(image, to: path, options: ImageWriteOptions(compression: "lz4"))
        #expect(try XISFReader.read(path).samples == image.samples)
    }

    @Test func subblocksAndEmbeddedDataAreRead() throws {
        // Two zlib subblocks, hand-made, plus an embedded base64 image: forms PixInsight may write.
        let folder = TemporaryFolder()
        let raw: [UInt8] = (0..<16).map { UInt8($0 * 10) } // 8 UInt16 samples
        let zlib = XISFCompression(codec: .zlib, shuffle: false)
        let (first, second) = raw.withUnsafeBytes { bytes in
            (XISFBlockCodec.compress(UnsafeRawBufferPointer(rebasing: bytes[0..<8]), compression: zlib, itemSize: 2),
             XISFBlockCodec.compress(UnsafeRawBufferPointer(rebasing: bytes[8..<16]), compression: zlib, itemSize: 2))
        }
        let block = first.bytes + second.bytes
        var header = xisfHeader(location: "attachment:PPPP:\(block.count)",
                                extra: " compression=\"zlib:16\" subblocks=\"\(first.bytes.count),8:\(second.bytes.count),8\"")
        let position = 16 + header.utf8.count
        header = header.replacingOccurrences(of: "PPPP", with: String(format: "%04d", position))
        writeBytes(craftXISF(header: header, block: block), to: folder.file("sub.xisf"))
        let image = try XISFReader.read(folder.file("sub.xisf"))
        let expected = stride(from: 0, to: 16, by: 2).map { Float(UInt16(raw[$0]) | UInt16(raw[$0 + 1]) << 8) / 65535 }
        #expect(image.samples == expected)

        let embedded = """
        <?xml version="1.0" encoding="UTF-8"?>
        <xisf version="1.0" xmlns="http://www.pixinsight.com/xisf"><Image geometry="4:2:1" sampleFormat="UInt16" colorSpace="Gray" location="embedded"><Data encoding="base64">\(Data(raw).base64EncodedString())</Data></Image><Metadata/></xisf>
        """
        writeBytes(craftXISF(header: embedded), to: folder.file("embedded.xisf"))
        #expect(try XISFReader.read(folder.file("embedded.xisf")).samples == expected)
    }
}
