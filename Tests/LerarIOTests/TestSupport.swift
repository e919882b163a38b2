import Foundation
import LerarCore
@testable import LerarIO

/// A fresh temporary folder per test, removed when the value is released.
final class TemporaryFolder {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "lerar-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    /// Names in the folder (hidden temporary files included).
    var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path).sorted()) ?? [] }
}

/// A deterministic image whose samples are exactly representable in `format` (so round trips can be bit-exact).
/// A test image whose samples `format` holds exactly; `fits` selects FITS's integer scale (16/32-bit integers as
/// ADU / 65535) instead of XISF's full-range normalisation for UInt32.
func sampleImage(width: Int = 37, height: Int = 23, colorSpace: ColorSpace = .gray, format: SampleFormat = .uint16, fits: Bool = false) -> Image {
    var metadata = ImageMetadata(keywords: [
        .string("IMAGETYP", "LIGHT", comment: "Type of exposure"), .number("EXPTIME", 300, comment: "[s]"),
        .string("FILTER", "Ha"), .integer("GAIN", 139), .number("CCD-TEMP", -9.5, comment: "sensor temperature [C]"),
        .string("OBSERVER", "O'Brien & <friends>"), .history("first step"), FITSKeyword(name: "COMMENT", value: "", comment: "a comment"),
        .history("second step"),
    ])
    metadata.properties = [
        .string("Observation:Object:Name", "M 31"), .real("Instrument:Sensor:Temperature", -9.5),
        ImageProperty(id: "Instrument:ExposureTime", type: "Float32", value: .real(300)),
        ImageProperty(id: "Lerar:Flag", type: "Boolean", value: .boolean(true)),
        ImageProperty(id: "Lerar:Count", type: "Int32", value: .integer(-42)),
        ImageProperty(id: "Lerar:Vector", type: "F64Vector", value: .vector([1.5, -2.25, 1e10])),
        ImageProperty(id: "Lerar:Matrix", type: "I32Matrix", value: .matrix(rows: 2, columns: 2, values: [1, 2, 3, -4])),
        ImageProperty(id: "Observation:Time:Start", type: "TimePoint", value: .timePoint("2024-03-01T21:15:00Z")),
    ]
    var image = Image(width: width, height: height, colorSpace: colorSpace, metadata: metadata)
    var state: UInt64 = 12345
    let pixels = width * height
    image.withMutableSamples { samples in
        for i in 0..<samples.count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            // Structured (compressible) levels with a sprinkle of random samples over the full range.
            let x = (i % pixels) % width, y = (i % pixels) / width
            let structured = Double(((x / 3) + (y / 2) * 7 + i / pixels * 5) % 50) / 49
            let unit = state >> 60 == 0 ? Double(state >> 11) * 0x1.0p-53 : structured
            switch format {
            case .uint8: samples[i] = Float((unit * 255).rounded()) / 255
            case .uint16: samples[i] = Float((unit * 65535).rounded()) / 65535
            case .int16: samples[i] = Float((unit * 65535).rounded() - 32768) / 65535
            case .uint32 where !fits: samples[i] = Float(Double(UInt32(unit * 4_294_967_295)) / 4_294_967_295)
            case .uint32: samples[i] = Float((unit * 8_388_607).rounded() / 65535)
            case .int32: samples[i] = Float((unit * 16_777_214).rounded() - 8_388_607) / 65535
            case .float32, .float64: samples[i] = Float(unit * 1.2 - 0.1) // floats may leave [0,1]
            }
        }
    }
    return image
}

/// Builds a monolithic XISF file byte by byte from a header and a block, for malformed-file tests.
func craftXISF(header: String, block: [UInt8] = [], headerLength: UInt32? = nil, signature: String = "XISF0100") -> [UInt8] {
    let xml = Array(header.utf8)
    var bytes = Array(signature.utf8)
    withUnsafeBytes(of: (headerLength ?? UInt32(xml.count)).littleEndian) { bytes.append(contentsOf: $0) }
    bytes += [0, 0, 0, 0] + xml + block
    return bytes
}

/// An XISF header with one Gray UInt16 image at `location`, plus extra attributes.
func xisfHeader(geometry: String = "4:2:1", sampleFormat: String = "UInt16", location: String, extra: String = "", prelude: String = "") -> String {
    """
    <?xml version="1.0" encoding="UTF-8"?>\(prelude)
    <xisf version="1.0" xmlns="http://www.pixinsight.com/xisf"><Image geometry="\(geometry)" sampleFormat="\(sampleFormat)" colorSpace="Gray" location="\(location)"\(extra)/><Metadata/></xisf>
    """
}

func writeBytes(_ bytes: [UInt8], to path: String) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}
