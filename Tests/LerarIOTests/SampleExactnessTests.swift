import Foundation
import LerarCore
import Testing
@testable import LerarIO

/// Every sample format round-trips exactly or is refused; FITS integers of any width read as the same ADU.
@Suite struct SampleExactnessTests {
    /// A primary-HDU FITS file written byte by byte (big-endian samples), independent of cfitsio's writer.
    static func craftFITS(bitpix: Int, bzero: Double? = nil, width: Int, height: Int, values: [Int64]) -> [UInt8] {
        var cards = ["SIMPLE  =                    T", String(format: "BITPIX  = %20d", bitpix), "NAXIS   =                    2",
                     String(format: "NAXIS1  = %20d", width), String(format: "NAXIS2  = %20d", height)]
        if let bzero { cards.append(String(format: "BZERO   = %20.0f", bzero)) }
        cards.append("END")
        var header = cards.map { $0.padding(toLength: 80, withPad: " ", startingAt: 0) }.joined()
        header += String(repeating: " ", count: (2880 - header.count % 2880) % 2880)
        var bytes = Array(header.utf8)
        let width = abs(bitpix) / 8
        for value in values { for shift in stride(from: (width - 1) * 8, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> Int64(shift))) } }
        bytes += [UInt8](repeating: 0, count: (2880 - bytes.count % 2880) % 2880)
        return bytes
    }

    /// The raw big-endian integers of a primary HDU written by cfitsio.
    static func storedIntegers(_ path: String, bitpix: Int, count: Int) throws -> [Int64] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var start = 0
        while String(decoding: bytes[start..<(start + 3)], as: UTF8.self) != "END" { start += 80 }
        start = (start / 2880 + 1) * 2880
        let width = bitpix / 8
        return (0..<count).map { index in
            var value: Int64 = 0
            for byte in 0..<width { value = value << 8 | Int64(bytes[start + index * width + byte]) }
            return width == 4 ? Int64(Int32(truncatingIfNeeded: value)) : Int64(Int16(truncatingIfNeeded: value))
        }
    }

    @Test func signedInt32RoundTripsExactly() throws {
        let folder = TemporaryFolder()
        for values in [Array(Int64(0)..<100), (0..<100).map { Int64($0) * 10_101 }, [-8_388_607, -1, 0, 1, 65535, 8_388_607]] {
            let path = folder.file("in.fits")
            writeBytes(Self.craftFITS(bitpix: 32, width: values.count, height: 1, values: values), to: path)
            let image = try ImageFile.read(path)
            #expect(image.inexactSourceSamples == 0)
            #expect(image.samples == values.map { Float(Double($0) / 65535) }, "read as ADU/65535")
            try ImageFile.write(image, to: folder.file("out.fits"), options: ImageWriteOptions(sampleFormat: .int32, overwrite: true))
            #expect(try Self.storedIntegers(folder.file("out.fits"), bitpix: 32, count: values.count) == values)
        }
    }

    @Test func widerIntegersThanAFloatHoldsAreCountedNotLostSilently() throws {
        let folder = TemporaryFolder()
        let values: [Int64] = [0, 16_777_217, 1_000_000_001, -2_000_000_003]
        writeBytes(Self.craftFITS(bitpix: 32, width: 4, height: 1, values: values), to: folder.file("wide.fits"))
        #expect(try ImageFile.read(folder.file("wide.fits")).inexactSourceSamples == 3)
    }

    @Test func sixteenBitCamerasReadAlikeWhateverTheContainer() throws {
        // The same ADU stored unsigned (BZERO 32768), signed without BZERO, and as 32-bit integers.
        let folder = TemporaryFolder()
        let adu: [Int64] = [0, 500, 1234, 16383, 32767]
        writeBytes(Self.craftFITS(bitpix: 16, bzero: 32768, width: 5, height: 1, values: adu.map { $0 - 32768 }), to: folder.file("u16.fits"))
        writeBytes(Self.craftFITS(bitpix: 16, width: 5, height: 1, values: adu), to: folder.file("i16.fits"))
        writeBytes(Self.craftFITS(bitpix: 32, width: 5, height: 1, values: adu), to: folder.file("i32.fits"))
        let reference = try ImageFile.read(folder.file("u16.fits")).samples
        #expect(try ImageFile.read(folder.file("i16.fits")).samples == reference)
        #expect(try ImageFile.read(folder.file("i32.fits")).samples == reference)
        #expect(reference.map { ($0 * 65535).rounded() } == adu.map(Float.init))
    }
}
