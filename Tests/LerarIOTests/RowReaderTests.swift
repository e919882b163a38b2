import Foundation
import LerarCore
import Testing
@testable import LerarIO

/// Bands of rows as the integration reads them from Float32 (registered frames) and 16-bit XISF files: every
/// sample bit for bit the image's, and a file cut short after its header names the file.
@Suite struct RowReaderTests {
    @Test(arguments: [SampleFormat.float32, .uint16], [ColorSpace.gray, .rgb])
    func bandsOfAnXISFFrameAreTheImagesRows(format: SampleFormat, colorSpace: ColorSpace) throws {
        let folder = TemporaryFolder()
        var image = sampleImage(width: 61, height: 29, colorSpace: colorSpace, format: format)
        if format == .float32 {
            // What registered frames hold: NaN outside the data, signed zeros, infinities, subnormals.
            image.withMutableSamples { samples in
                samples[0] = .nan; samples[1] = -0.0; samples[2] = .infinity; samples[3] = -.infinity
                samples[4] = .leastNonzeroMagnitude; samples[samples.count - 1] = .nan
            }
        }
        let path = folder.file("frame.xisf")
        try XISFWriter.write(image, to: path, options: ImageWriteOptions(sampleFormat: format))
        let reader = try ImageRowReader(path: path)
        for channel in 0..<image.channelCount {
            for rows in [0..<7, 7..<20, 20..<29] {
                var band = [Float](repeating: 42, count: rows.count * image.width)
                try band.withUnsafeMutableBufferPointer { try reader.read(rows: rows, channel: channel, into: $0) }
                let first = (channel * image.height + rows.lowerBound) * image.width
                let expected = Array(image.samples[first..<(first + band.count)])
                #expect(band.map(\.bitPattern) == expected.map(\.bitPattern), "\(format) \(colorSpace) channel \(channel) rows \(rows)")
            }
        }
    }

    @Test func aFrameCutShortAfterItsHeaderIsNamed() throws {
        let folder = TemporaryFolder()
        let image = sampleImage(width: 64, height: 64, format: .float32)
        let path = folder.file("cut.xisf")
        try XISFWriter.write(image, to: path, options: ImageWriteOptions(sampleFormat: .float32))
        let reader = try ImageRowReader(path: path)
        // Cut after the reader opened it (a disk filling, another process): the band read fails naming the file.
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(size - 4096))
        try handle.close()
        var band = [Float](repeating: 0, count: 64 * 64)
        var message: String?
        do {
            try band.withUnsafeMutableBufferPointer { try reader.read(rows: 0..<64, channel: 0, into: $0) }
        } catch let error as ImageIOError {
            message = error.localizedDescription
        }
        #expect(message?.contains("cut.xisf") == true, "\(message ?? "no error")")
    }
}
