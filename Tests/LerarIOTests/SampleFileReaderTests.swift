import Foundation
import LerarCore
import Testing
@testable import LerarIO

/// Lerar's own decoding of plain primary-HDU FITS images gives cfitsio's values bit for bit, and planar XISF read
/// straight into the image gives its band reader's: every stored format, frames of many parallel chunks and pieces
/// whose sizes are not multiples of each other, NaN and infinities in floats, the extremes of each integer type;
/// and a file cut short under its reader is named, not read as zeros.
@Suite struct SampleFileReaderTests {
    /// The whole image as `ImageRowReader` reads it band by band (FITS through cfitsio).
    static func bandSamples(_ path: String, _ header: ImageFileHeader) throws -> [Float] {
        let reader = try ImageRowReader(path: path)
        var samples = [Float](repeating: 42, count: header.width * header.height * header.channelCount)
        let plane = header.width * header.height
        try samples.withUnsafeMutableBufferPointer { all in
            for channel in 0..<header.channelCount {
                try reader.read(rows: 0..<header.height, channel: channel, into: UnsafeMutableBufferPointer(rebasing: all[(channel * plane)..<((channel + 1) * plane)]))
            }
        }
        return samples
    }

    @Test(arguments: FITSRoundTripTests.formats)
    func largeFramesDecodeAsCfitsioDoes(format: SampleFormat) throws {
        let folder = TemporaryFolder()
        // 1031 × 263 × 3 = 813,939 samples: a dozen chunks of whole pieces and a short last one.
        var image = sampleImage(width: 1031, height: 263, colorSpace: .rgb, format: format, fits: true)
        if format == .float32 || format == .float64 {
            image.withMutableSamples { samples in
                samples[0] = .nan; samples[1] = -0.0; samples[2] = .infinity; samples[3] = -.infinity
                samples[samples.count / 2] = .leastNonzeroMagnitude; samples[samples.count - 1] = .nan
            }
        }
        let path = folder.file("\(format).fits")
        try FITSWriter.write(image, to: path, options: ImageWriteOptions(sampleFormat: format))
        let opened = try FITSReader.open(path)
        try opened.handle?.close()
        #expect(opened.storage.decoding?.format == format, "\(format) is decoded by Lerar")
        let ours = try FITSReader.read(path)
        let theirs = try Self.bandSamples(path, opened.header)
        #expect(ours.samples.map(\.bitPattern) == theirs.map(\.bitPattern), "\(format): Lerar's decoding differs from cfitsio's")
        #expect(ours.samples.map(\.bitPattern) == image.samples.map(\.bitPattern), "\(format): the written samples do not come back")
    }

    /// Planar XISF read straight into the image: the samples its band reader (a byte block decoded by
    /// `SampleCodec`) gives, and the ones written.
    @Test(arguments: XISFRoundTripTests.formats)
    func largeXISFFramesReadAsTheirBandsDo(format: SampleFormat) throws {
        let folder = TemporaryFolder()
        var image = sampleImage(width: 1031, height: 263, colorSpace: .rgb, format: format)
        if format == .float32 || format == .float64 {
            image.withMutableSamples { samples in samples[0] = .nan; samples[1] = -0.0; samples[2] = .infinity; samples[samples.count - 1] = .nan }
        }
        let path = folder.file("\(format).xisf")
        try XISFWriter.write(image, to: path, options: ImageWriteOptions(sampleFormat: format))
        let ours = try XISFReader.read(path)
        let header = try XISFReader.parse(path).header
        let bands = try Self.bandSamples(path, header)
        #expect(ours.samples.map(\.bitPattern) == bands.map(\.bitPattern), "\(format)")
        #expect(ours.samples.map(\.bitPattern) == image.samples.map(\.bitPattern), "\(format)")
    }

    @Test func integerExtremesAndTheUnsignedOffsetDecodeAsCfitsioDoes() throws {
        let folder = TemporaryFolder()
        // Stored values 0, 1, 32767, 32768, 65534, 65535 (uint16 through BZERO 32768) and their int16 counterparts.
        for format in [SampleFormat.uint16, .int16] {
            var image = Image(width: 70_001, height: 2, colorSpace: .gray)
            let levels: [Float] = format == .uint16 ? [0, 1, 32767, 32768, 65534, 65535] : [-32768, -1, 0, 1, 32766, 32767]
            image.withMutableSamples { for i in 0..<$0.count { $0[i] = levels[i % levels.count] / 65535 } }
            let path = folder.file("\(format)-extremes.fits")
            try FITSWriter.write(image, to: path, options: ImageWriteOptions(sampleFormat: format))
            let ours = try FITSReader.read(path)
            let opened = try FITSReader.open(path)
            try opened.handle?.close()
            let theirs = try Self.bandSamples(path, opened.header)
            #expect(ours.samples.map(\.bitPattern) == theirs.map(\.bitPattern), "\(format)")
            #expect(ours.samples.map(\.bitPattern) == image.samples.map(\.bitPattern), "\(format)")
        }
    }

    @Test func scaledIntegersStayWithCfitsio() throws {
        func decoding(_ bitpix: Int32, _ bzero: Double, _ bscale: Double) throws -> (format: SampleFormat, offsetSign: Bool)? {
            try FITSReader.storage(bitpix: bitpix, bzero: bzero, bscale: bscale, path: "t.fits").1.decoding
        }
        #expect(try decoding(16, 0, 2) == nil)
        #expect(try decoding(16, 100, 1) == nil)
        #expect(try decoding(-32, 1, 1) == nil)
        #expect(try decoding(16, 32768, 1)?.offsetSign == true)
        #expect(try decoding(32, 2_147_483_648, 1)?.format == .uint32)
    }

    @Test func aFileCutShortUnderItsReaderIsNamed() throws {
        let folder = TemporaryFolder()
        let image = sampleImage(width: 600, height: 400, format: .uint16, fits: true)
        let path = folder.file("cut.fits")
        try FITSWriter.write(image, to: path, options: ImageWriteOptions(sampleFormat: .uint16))
        let opened = try FITSReader.open(path)
        try opened.handle?.close()
        // Cut after the structure check passed, as a file truncated by another process while it is read.
        #expect(truncate(path, off_t(opened.dataStart + 1000)) == 0)
        var output = [Float](repeating: 0, count: 600 * 400)
        #expect {
            _ = try output.withUnsafeMutableBufferPointer {
                try SampleFileReader.read(path: path, dataStart: opened.dataStart, format: .uint16, scale: .adu16, bigEndian: true, offsetSign: true, into: $0)
            }
        } throws: { error in
            guard case let ImageIOError.truncated(failed, detail) = error else { return false }
            return failed == path && detail.contains("cut short")
        }
    }
}
