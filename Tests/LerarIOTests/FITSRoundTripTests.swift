import Foundation
import LerarCore
import Testing
@testable import LerarIO

@Suite struct FITSRoundTripTests {
    static let formats: [SampleFormat] = [.uint8, .uint16, .int16, .uint32, .int32, .float32, .float64]

    @Test(arguments: formats, [nil, "rice", "gzip"] as [String?])
    func everyFormatRoundTrips(format: SampleFormat, compression: String?) throws {
        let folder = TemporaryFolder()
        for colorSpace in ColorSpace.allCases {
            let image = sampleImage(colorSpace: colorSpace, format: format, fits: true)
            let path = folder.file("\(format)-\(colorSpace)" + (compression == nil ? ".fits" : ".fits.fz"))
            try FITSWriter.write(image, to: path, options: ImageWriteOptions(sampleFormat: format, compression: compression))
            let header = try FITSReader.readHeader(path)
            #expect(header.sampleFormat == format && header.colorSpace == colorSpace)
            #expect((header.compression != nil) == (compression != nil))
            let back = try FITSReader.read(path)
            #expect(back.samples.map(\.bitPattern) == image.samples.map(\.bitPattern), "pixels differ for \(format) \(compression ?? "none") \(colorSpace)")
            #expect(back.metadata.keywords.map(\.name) == image.metadata.keywords.map(\.name))
            #expect(back.metadata.keywords.map(\.stringValue) == image.metadata.keywords.map(\.stringValue))
            #expect(back.metadata.keywords.map(\.comment) == image.metadata.keywords.map(\.comment))
        }
    }

    @Test(arguments: [SampleFormat.uint16, .float32], XISFRoundTripTests.codecs)
    func fitsToXISFToFITSIsExact(format: SampleFormat, codec: String?) throws {
        let folder = TemporaryFolder()
        var original = sampleImage(colorSpace: .rgb, format: format)
        if format == .float32 { original[1, 1, 2] = .nan }
        try FITSWriter.write(original, to: folder.file("a.fits"), options: ImageWriteOptions(sampleFormat: format))
        let first = try FITSReader.read(folder.file("a.fits"))
        try XISFWriter.write(first, to: folder.file("b.xisf"), options: ImageWriteOptions(sampleFormat: format, compression: codec))
        let middle = try XISFReader.read(folder.file("b.xisf"))
        try FITSWriter.write(middle, to: folder.file("c.fits"), options: ImageWriteOptions(sampleFormat: format))
        let last = try FITSReader.read(folder.file("c.fits"))
        #expect(middle.samples.map(\.bitPattern) == first.samples.map(\.bitPattern))
        #expect(last.samples.map(\.bitPattern) == first.samples.map(\.bitPattern))
        #expect(middle.metadata.keywords == first.metadata.keywords)
        #expect(last.metadata.keywords == first.metadata.keywords)
        // The FITS files themselves are byte-identical: nothing was added or lost on the way.
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.file("a.fits"))) == Data(contentsOf: URL(fileURLWithPath: folder.file("c.fits"))))
    }

    @Test func keywordsKeepOrderDuplicatesAndComments() throws {
        let folder = TemporaryFolder()
        let image = sampleImage()
        try FITSWriter.write(image, to: folder.file("k.fits"), options: ImageWriteOptions(sampleFormat: .uint16))
        let keywords = try FITSReader.readHeader(folder.file("k.fits")).metadata.keywords
        #expect(keywords.filter { $0.name == "HISTORY" }.map(\.comment) == ["first step", "second step"])
        #expect(keywords.first { $0.name == "OBSERVER" }?.stringValue == "O'Brien & <friends>")
        #expect(keywords.first { $0.name == "CCD-TEMP" }?.doubleValue == -9.5)
        #expect(keywords.first { $0.name == "CCD-TEMP" }?.comment == "sensor temperature [C]")
    }

    @Test func nonASCIITextIsReplacedBecauseFITSHeadersAreASCII() throws {
        let folder = TemporaryFolder()
        var image = sampleImage()
        image.metadata.setKeyword(.string("OBJECT", "Cœur", comment: "−10 °C"))
        try FITSWriter.write(image, to: folder.file("a.fits"), options: ImageWriteOptions(sampleFormat: .uint16))
        let keyword = try FITSReader.readHeader(folder.file("a.fits")).metadata.keyword("OBJECT")
        #expect(keyword?.stringValue == "C?ur")
        #expect(keyword?.comment == "?10 ?C")
    }

    @Test func primaryWithoutDataFallsBackToFirstImageExtension() throws {
        // A .fz file keeps its image in extension 1 behind an empty primary HDU.
        let folder = TemporaryFolder()
        let image = sampleImage(format: .uint16)
        try FITSWriter.write(image, to: folder.file("x.fz"), options: ImageWriteOptions(sampleFormat: .uint16))
        #expect(try FITSReader.readHeader(folder.file("x.fz")).compression == "RICE_1")
        #expect(try FITSReader.read(folder.file("x.fz")).samples == image.samples)
    }
}
