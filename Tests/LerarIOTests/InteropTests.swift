import Foundation
import LerarCore
import LerarTestSupport
import Testing
@testable import LerarIO

/// Independent readers and writers: astropy (FITS) and the `xisf` package (XISF), installed by `make test`.
@Suite struct InteropTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("interop/interop.py").path

    func python(_ arguments: [String]) throws -> (Int32, String) {
        try ChildProcess.run(["python3", Self.script] + arguments)
    }

    struct Entry: Codable {
        var file: String, kind: String, raw: String, dtype: String
        var shape: [Int]
        var keywords: [[String]]
    }

    @Test func weReadWhatAstropyAndXisfWrote() throws {
        let folder = TemporaryFolder()
        let (status, output) = try python(["write", folder.path])
        try #require(status == 0, "interop.py write failed (make test installs astropy and xisf):\n\(output)")
        let entries = try JSONDecoder().decode([Entry].self, from: Data(contentsOf: URL(fileURLWithPath: folder.file("theirs.json"))))
        #expect(entries.count == 14)
        for entry in entries {
            let image = try ImageFile.read(folder.file(entry.file))
            #expect([image.channelCount, image.height, image.width] == entry.shape, "\(entry.file)")
            let raw = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file(entry.raw))))
            let expected: [Float] = raw.withUnsafeBytes { bytes in
                switch entry.dtype {
                case "<u2": return bytes.bindMemory(to: UInt16.self).map { Float(UInt16(littleEndian: $0)) / 65535 }
                // FITS signed integers are read as ADU on the 16-bit scale.
                case "<i2": return bytes.bindMemory(to: Int16.self).map { Float(Int16(littleEndian: $0)) / 65535 }
                case "<i4": return bytes.bindMemory(to: Int32.self).map { Float(Double(Int32(littleEndian: $0)) / 65535) }
                case "|u1", "<u1": return bytes.map { Float($0) / 255 }
                default: return bytes.bindMemory(to: UInt32.self).map { Float(bitPattern: UInt32(littleEndian: $0)) }
                }
            }
            #expect(image.samples.map(\.bitPattern) == expected.map(\.bitPattern), "pixels of \(entry.file)")
            let keywords = image.metadata.keywords.filter { $0.name != "COMMENT" }
            #expect(keywords.map(\.name) == entry.keywords.map { $0[0] }, "keyword names of \(entry.file)")
            for (keyword, wanted) in zip(keywords, entry.keywords) {
                let sameValue = keyword.stringValue == wanted[1] || (keyword.doubleValue != nil && keyword.doubleValue == Double(wanted[1]))
                #expect(sameValue && keyword.comment == wanted[2], "\(entry.file): \(keyword) vs \(wanted)")
            }
        }
    }

    @Test func astropyAndXisfReadWhatWeWrote() throws {
        let folder = TemporaryFolder()
        let cases: [(String, ColorSpace, SampleFormat, String?)] = [
            ("u16.fits", .gray, .uint16, nil), ("f32_rgb.fits", .rgb, .float32, nil), ("u16_rice.fits.fz", .gray, .uint16, "rice"),
            ("f32_gzip.fits.fz", .gray, .float32, nil), ("u16.xisf", .gray, .uint16, nil), ("u16_lz4hc_sh.xisf", .gray, .uint16, "lz4hc+sh"),
            ("f32_rgb_zstd_sh.xisf", .rgb, .float32, "zstd+sh"), ("u8_zlib.xisf", .gray, .uint8, "zlib"), ("f32_lz4.xisf", .gray, .float32, "lz4"),
        ]
        var manifest: [Entry] = []
        for (name, colorSpace, format, codec) in cases {
            var image = sampleImage(width: 41, height: 29, colorSpace: colorSpace, format: format)
            image.metadata.properties = [] // the xisf package reads properties differently; keywords are what we compare
            if format == .float32 { image[5, 6] = .nan }
            try ImageFile.write(image, to: folder.file(name), options: ImageWriteOptions(sampleFormat: format, compression: codec))
            let raw = XISFWriter.encodedSamples(image, format: format, scale: .fullRange, interleaved: false)
            try Data(raw).write(to: URL(fileURLWithPath: folder.file(name + ".raw")))
            let dtype = ["UInt8": "|u1", "UInt16": "<u2", "Float32": "<f4"][format.rawValue]!
            manifest.append(Entry(file: name, kind: name.contains(".fits") ? "fits" : "xisf", raw: name + ".raw", dtype: dtype,
                                  shape: [image.channelCount, image.height, image.width],
                                  keywords: image.metadata.keywords.map { [$0.name, $0.isCommentary ? "" : $0.stringValue, $0.comment] }))
        }
        try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: folder.file("manifest.json")))
        let (status, output) = try python(["check", folder.path])
        #expect(status == 0, "astropy/xisf disagree with our files:\n\(output)")
        #expect(output.components(separatedBy: "checked ").count - 1 == cases.count, "\(output)")
    }
}
