import Foundation
import LerarCore
import Testing
@testable import LerarIO

/// Every malformed file gives one ImageIOError naming the file, never a crash or a huge allocation.
@Suite struct BadInputTests {
    /// Reads `bytes` as a file named `name` and returns the error's description.
    func failure(_ bytes: [UInt8], name: String = "bad.xisf", header: Bool = false) -> String {
        let folder = TemporaryFolder()
        let path = folder.file(name)
        writeBytes(bytes, to: path)
        do {
            if header { _ = try ImageFile.readHeader(path) } else { _ = try ImageFile.read(path) }
        } catch let error as ImageIOError {
            let text = error.errorDescription ?? ""
            #expect(text.hasPrefix(path), "error does not name the file: \(text)")
            return text
        } catch {
            Issue.record("unexpected error type \(error)")
            return "\(error)"
        }
        Issue.record("\(name) was accepted")
        return ""
    }

    func validXISF(compression: String? = nil) throws -> [UInt8] {
        let folder = TemporaryFolder()
        try XISFWriter.write(sampleImage(), to: folder.file("v.xisf"), options: ImageWriteOptions(sampleFormat: .uint16, compression: compression))
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file("v.xisf"))))
    }

    func validFITS() throws -> [UInt8] {
        let folder = TemporaryFolder()
        try FITSWriter.write(sampleImage(), to: folder.file("v.fits"), options: ImageWriteOptions(sampleFormat: .uint16))
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file("v.fits"))))
    }

    // MARK: XISF

    @Test func truncatedXISF() throws {
        let bytes = try validXISF()
        #expect(failure(Array(bytes.prefix(bytes.count - 100))).contains("truncated"))
        #expect(failure(Array(bytes.prefix(10))).contains("truncated"))
        #expect(failure(Array(bytes.prefix(200))).contains("truncated")) // header cut
    }

    @Test func wrongSignature() {
        #expect(failure(craftXISF(header: xisfHeader(location: "attachment:0:16"), signature: "XISX0100")).contains("no XISF signature"))
        #expect(failure(craftXISF(header: xisfHeader(location: "attachment:0:16"), signature: "XISF0200")).contains("not an XISF 1.0"))
    }

    @Test func headerLengthBeyondFileOrTooSmall() {
        let header = xisfHeader(location: "attachment:4096:16")
        #expect(failure(craftXISF(header: header, headerLength: 1_000_000)).contains("past the end of the file"))
        #expect(failure(craftXISF(header: header, headerLength: 20)).contains("below the minimum"))
    }

    @Test func blockPositionsOutsideTheFile() {
        let header = xisfHeader(location: "attachment:PPPP:16")
        let start = 16 + header.utf8.count
        let block = [UInt8](repeating: 7, count: 16)
        let inside = header.replacingOccurrences(of: "PPPP", with: String(format: "%04d", 20))
        #expect(failure(craftXISF(header: inside, block: block)).contains("starts inside the header"))
        let beyond = header.replacingOccurrences(of: "PPPP", with: String(format: "%04d", start + 8))
        #expect(failure(craftXISF(header: beyond, block: block)).contains("past the end of the file"))
        let huge = xisfHeader(location: "attachment:4000:99999999999")
        #expect(failure(craftXISF(header: huge, block: block)).contains("past the end"))
        let overflow = xisfHeader(location: "attachment:9223372036854775000:9223372036854775000")
        #expect(!failure(craftXISF(header: overflow, block: block)).isEmpty)
    }

    @Test func geometryNotMatchingTheBlock() {
        let header = xisfHeader(geometry: "4:2:1", location: "attachment:PPPP:10")
        let fixed = header.replacingOccurrences(of: "PPPP", with: String(format: "%04d", 16 + header.utf8.count))
        #expect(failure(craftXISF(header: fixed, block: [UInt8](repeating: 1, count: 10))).contains("its element needs 16"))
        #expect(failure(craftXISF(header: xisfHeader(geometry: "0:2:1", location: "attachment:0:0"))).contains("zero or negative"))
        #expect(failure(craftXISF(header: xisfHeader(geometry: "4:x:1", location: "attachment:0:0"))).contains("malformed geometry"))
        #expect(failure(craftXISF(header: xisfHeader(geometry: "4:2:2:1", location: "attachment:0:0"))).contains("two-dimensional"))
        #expect(failure(craftXISF(header: xisfHeader(geometry: "4:2:2", location: "attachment:0:0"))).contains("channels"))
    }

    @Test func headerAskingForMoreMemoryThanTheFileCouldHold() {
        // 100000 × 100000 UInt16 = 20 GB claimed from a 100-byte zstd block.
        let header = xisfHeader(geometry: "100000:100000:1", location: "attachment:PPPP:100", extra: " compression=\"zstd:20000000000\"")
        let fixed = header.replacingOccurrences(of: "PPPP", with: String(format: "%04d", 16 + header.utf8.count))
        #expect(failure(craftXISF(header: fixed, block: [UInt8](repeating: 0, count: 100))).contains("refusing to allocate"))
        // The same geometry uncompressed: the block would have to be in the file.
        let plain = xisfHeader(geometry: "100000:100000:1", location: "attachment:PPPP:20000000000")
        let plainFixed = plain.replacingOccurrences(of: "PPPP", with: String(format: "%04d", 16 + plain.utf8.count))
        #expect(failure(craftXISF(header: plainFixed, block: [UInt8](repeating: 0, count: 100))).contains("past the end"))
    }

    @Test func doctypeAndEntitiesAreRejected() {
        let doctype = xisfHeader(location: "attachment:0:16", prelude: "\n<!DOCTYPE xisf [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>")
        #expect(failure(craftXISF(header: doctype)).contains("DOCTYPE"))
        let entity = xisfHeader(location: "attachment:0:16", prelude: "\n<!ENTITY lol \"lol\">")
        #expect(failure(craftXISF(header: entity)).contains("ENTITY"))
        let broken = "<?xml version=\"1.0\"?><xisf version=\"1.0\"><Image geometry=\"4:2:1\"" + String(repeating: " ", count: 60)
        #expect(failure(craftXISF(header: broken)).contains("does not parse"))
    }

    @Test func unknownCodecsSampleFormatsAndChecksums() {
        let codec = xisfHeader(location: "attachment:4000:16", extra: " compression=\"brotli:16\"")
        #expect(failure(craftXISF(header: codec)).contains("unknown compression codec"))
        #expect(failure(craftXISF(header: xisfHeader(sampleFormat: "Complex64", location: "attachment:4000:16"))).contains("sample format"))
        #expect(failure(craftXISF(header: xisfHeader(sampleFormat: "Float32", location: "attachment:4000:16"))).contains("bounds"))
        let checksum = xisfHeader(location: "attachment:4000:16", extra: " checksum=\"md5:00\"")
        #expect(failure(craftXISF(header: checksum)).contains("unknown checksum"))
        let shuffle = xisfHeader(location: "attachment:4000:16", extra: " compression=\"zlib+sh:16:17\"")
        #expect(failure(craftXISF(header: shuffle)).contains("item size"))
    }

    @Test func corruptCompressedDataAndChecksumMismatch() throws {
        var bytes = try validXISF(compression: "zstd+sh")
        bytes[bytes.count - 20] ^= 0xFF
        bytes[bytes.count - 40] ^= 0xFF
        #expect(failure(bytes).contains("corrupt"))
        let digest = String(repeating: "0", count: 40)
        let header = xisfHeader(location: "attachment:PPPP:16", extra: " checksum=\"sha1:\(digest)\"")
        let fixed = header.replacingOccurrences(of: "PPPP", with: String(format: "%04d", 16 + header.utf8.count))
        #expect(failure(craftXISF(header: fixed, block: [UInt8](repeating: 1, count: 16))).contains("checksum mismatch"))
    }

    @Test func distributedXISFIsNotSupported() {
        #expect(failure(craftXISF(header: xisfHeader(location: "path(@header_dir/data.xisb):0"))).contains("distributed XISF"))
        #expect(failure(craftXISF(header: xisfHeader(location: "url(http://example.com/x.xisb)"))).contains("distributed XISF"))
    }

    // MARK: FITS

    @Test func truncatedFITS() throws {
        let bytes = try validFITS()
        #expect(failure(Array(bytes.prefix(bytes.count - 2880)), name: "t.fits").contains("truncated"))
        #expect(failure(Array(bytes.prefix(1000)), name: "t.fits").contains("truncated"))
        #expect(failure(Array(bytes.prefix(2880 + 100)), name: "t.fits", header: true).contains("truncated"))
    }

    @Test func notAFITSFile() {
        #expect(failure(Array(repeating: 65, count: 5760), name: "x.fits").contains("not a FITS file"))
    }

    /// A primary header with the given cards and `dataBytes` zero bytes of data.
    func fitsFile(_ cards: [String], dataBytes: Int) -> [UInt8] {
        var header = (cards + ["END"]).map { $0.padding(toLength: 80, withPad: " ", startingAt: 0) }.joined()
        while header.utf8.count % 2880 != 0 { header += " " }
        var data = [UInt8](repeating: 0, count: dataBytes)
        while data.count % 2880 != 0 { data.append(0) }
        return Array(header.utf8) + data
    }

    @Test func fitsWithTooManyOrEmptyAxes() {
        let four = fitsFile(["SIMPLE  =                    T", "BITPIX  =                   16", "NAXIS   =                    4",
                             "NAXIS1  =                    2", "NAXIS2  =                    2", "NAXIS3  =                    1", "NAXIS4  =                    1"], dataBytes: 8)
        #expect(failure(four, name: "four.fits").contains("more than 3 axes"))
        let empty = fitsFile(["SIMPLE  =                    T", "BITPIX  =                   16", "NAXIS   =                    2",
                              "NAXIS1  =                    0", "NAXIS2  =                    5", "EXTEND  =                    T"], dataBytes: 0)
        #expect(failure(empty, name: "empty.fits").contains("no image HDU") || failure(empty, name: "empty.fits").contains("zero-sized"))
        let planes = fitsFile(["SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    3",
                               "NAXIS1  =                    2", "NAXIS2  =                    2", "NAXIS3  =                    2"], dataBytes: 8)
        #expect(failure(planes, name: "planes.fits").contains("NAXIS3 = 2"))
        let oneD = fitsFile(["SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    1",
                             "NAXIS1  =                    8"], dataBytes: 8)
        #expect(failure(oneD, name: "line.fits").contains("NAXIS = 1"))
        let huge = fitsFile(["SIMPLE  =                    T", "BITPIX  =                  -32", "NAXIS   =                    2",
                             "NAXIS1  =               100000", "NAXIS2  =               100000"], dataBytes: 2880)
        #expect(failure(huge, name: "huge.fits").contains("truncated"))
    }

    @Test func missingFilesAndUnknownExtensions() {
        #expect(throws: ImageIOError.self) { try ImageFile.read("/nonexistent/x.fits") }
        #expect(throws: ImageIOError.self) { try ImageFile.read("/nonexistent/x.xisf") }
        #expect(throws: ImageIOError.unknownFormat(path: "x.png")) { try ImageFile.read("x.png") }
    }
}
