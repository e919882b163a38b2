import Foundation
import LerarCore
import Testing
@testable import LerarIO

/// Inputs that once crashed the readers (trapped, overflowed the stack or divided by zero inside cfitsio), made in
/// code: each must now be a clean ImageIOError naming the file.
@Suite struct CrashInputTests {
    func error(reading bytes: [UInt8], name: String) -> String {
        let folder = TemporaryFolder()
        let path = folder.file(name)
        writeBytes(bytes, to: path)
        for headerOnly in [true, false] {
            do {
                if headerOnly { _ = try ImageFile.readHeader(path) } else { _ = try ImageFile.read(path) }
                Issue.record("\(name) was accepted")
            } catch let error as ImageIOError {
                let text = error.errorDescription ?? ""
                #expect(text.hasPrefix(path), "error does not name the file: \(text)")
                if !headerOnly { return text }
            } catch {
                Issue.record("unexpected error type \(error)")
            }
        }
        return ""
    }

    /// A valid one-image header around `image`, as raw bytes (so invalid UTF-8 can be placed in it).
    func xisf(_ image: [UInt8], trailer: [UInt8] = []) -> [UInt8] {
        let head = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xisf version=\"1.0\" xmlns=\"http://www.pixinsight.com/xisf\">".utf8)
        let xml = head + image + trailer + Array("<Metadata/></xisf>".utf8)
        var bytes = Array("XISF0100".utf8)
        withUnsafeBytes(of: UInt32(xml.count).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + [0, 0, 0, 0] + xml + [UInt8](repeating: 0, count: 16)
    }

    @Test func invalidUTF8InElementAndAttributeNames() {
        let element = Array("<Im".utf8) + [0xFF, 0xFE] + Array("age geometry=\"4:2:1\" sampleFormat=\"UInt16\" location=\"attachment:0:16\"/>".utf8)
        #expect(error(reading: xisf(element), name: "element.xisf").contains("not valid UTF-8"))
        let attribute = Array("<Image geo".utf8) + [0xC3, 0x28] + Array("metry=\"4:2:1\" sampleFormat=\"UInt16\" location=\"attachment:0:16\"/>".utf8)
        #expect(error(reading: xisf(attribute), name: "attribute.xisf").contains("not valid UTF-8"))
        let truncatedSequence = Array("<Image geometry=\"4:2:1\" sampleFormat=\"UInt16\" location=\"attachment:0:16\" comment=\"".utf8) + [0xE2, 0x82] + Array("\"/>".utf8)
        #expect(error(reading: xisf(truncatedSequence), name: "value.xisf").contains("not valid UTF-8"))
    }

    @Test func deepNestingIsRefusedWithoutRecursion() {
        let depth = 50_000
        let nested = Array(String(repeating: "<a>", count: depth).utf8) + Array(String(repeating: "</a>", count: depth).utf8)
        #expect(error(reading: xisf([], trailer: nested), name: "deep.xisf").contains("nest deeper than"))
    }

    @Test func entitiesAreRefusedAndCharacterReferencesRead() throws {
        let entity = Array("<Image geometry=\"4:2:1\" sampleFormat=\"UInt16\" location=\"attachment:0:16\" comment=\"&lol;\"/>".utf8)
        #expect(error(reading: xisf(entity), name: "entity.xisf").contains("never resolved"))
        let unclosed = Array("<Image geometry=\"4:2:1\" sampleFormat=\"UInt16\" location=\"attachment:0:16\">".utf8)
        #expect(error(reading: xisf(unclosed), name: "unclosed.xisf").contains("closes"))
        let root = try XMLHeaderParser.parse(Data("<r a=\"x&#10;y&#x41;&amp;&lt;\">t&gt;<![CDATA[<raw>]]><!-- c --><?pi x?></r>".utf8), path: "mem")
        #expect(root.attributes["a"] == "x\nyA&<")
        #expect(root.text == "t><raw>")
    }

    /// A valid RICE-compressed .fz with one header card's value replaced.
    func fz(replacing key: String, with value: String) throws -> [UInt8] {
        let folder = TemporaryFolder()
        try FITSWriter.write(sampleImage(format: .uint16), to: folder.file("v.fz"), options: ImageWriteOptions(sampleFormat: .uint16))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file("v.fz"))))
        let name = Array(key.padding(toLength: 8, withPad: " ", startingAt: 0).utf8) + Array("= ".utf8)
        let card = try #require(stride(from: 0, to: bytes.count - 80, by: 80).first { Array(bytes[$0..<($0 + 10)]) == name }, "no \(key) card")
        let field = Array(value.padding(toLength: 20, withPad: " ", startingAt: 0).utf8)
        let padded = [UInt8](repeating: 0x20, count: 20 - min(20, field.count)) + field
        bytes.replaceSubrange((card + 10)..<(card + 30), with: padded.prefix(20))
        return bytes
    }

    @Test func tileCompressionParametersThatDivideByZeroAreRefused() throws {
        #expect(error(reading: try fz(replacing: "ZTILE1", with: "0"), name: "ztile.fz").contains("ZTILE1"))
        #expect(error(reading: try fz(replacing: "ZVAL1", with: "0"), name: "zval.fz").contains("BLOCKSIZE"))
        #expect(error(reading: try fz(replacing: "ZVAL2", with: "3"), name: "bytepix.fz").contains("BYTEPIX"))
        #expect(error(reading: try fz(replacing: "ZNAXIS1", with: "0"), name: "znaxis.fz").contains("ZNAXIS1"))
        #expect(error(reading: try fz(replacing: "NAXIS2", with: "999999"), name: "rows.fz").contains("tiles"))
        #expect(error(reading: try fz(replacing: "PCOUNT", with: "9223372036854775000"), name: "pcount.fz").contains("impossible"))
    }
}
