import Foundation
import LerarCore
import LerarIO

/// Writes a single-plane 16-bit CFA mosaic as a minimal DNG 1.4 (uncompressed, one strip, little-endian TIFF) with
/// the EXIF a camera writes, so the camera-raw path (LibRaw) is tested on files it really reads. Written by Lerar
/// rather than through libtiff: libtiff takes DNG and EXIF tags through C varargs whose types are per tag and
/// unchecked, and a DNG needs only this handful of entries.
public struct DNGWriter: Sendable {
    /// Camera metadata written into the file.
    public struct Camera: Sendable {
        public var make = "Simulated", model = "Simulated DSLR"
        /// [s] Exposure time.
        public var exposure: Double
        public var iso: Int
        /// Camera clock, "YYYY-MM-DDTHH:MM:SS".
        public var date: String
        /// [ADU] Black and white levels.
        public var blackLevel: Int, whiteLevel = 65535
        /// Pattern of the stored rows, e.g. "RGGB".
        public var pattern: String

        public init(exposure: Double, iso: Int, date: String, blackLevel: Int, pattern: String) {
            self.exposure = exposure; self.iso = iso; self.date = date; self.blackLevel = blackLevel; self.pattern = pattern
        }
    }

    /// One IFD entry: tag, TIFF type, count and the value bytes (little-endian).
    struct Entry {
        let tag: UInt16, type: UInt16, count: UInt32, bytes: [UInt8]
        static func short(_ tag: UInt16, _ values: [UInt16]) -> Entry { Entry(tag: tag, type: 3, count: UInt32(values.count), bytes: values.flatMap(le)) }
        static func long(_ tag: UInt16, _ values: [UInt32]) -> Entry { Entry(tag: tag, type: 4, count: UInt32(values.count), bytes: values.flatMap(le)) }
        static func byte(_ tag: UInt16, _ values: [UInt8]) -> Entry { Entry(tag: tag, type: 1, count: UInt32(values.count), bytes: values) }
        static func ascii(_ tag: UInt16, _ text: String) -> Entry { Entry(tag: tag, type: 2, count: UInt32(text.utf8.count + 1), bytes: Array(text.utf8) + [0]) }
        static func rational(_ tag: UInt16, _ pairs: [(UInt32, UInt32)], signed: Bool = false) -> Entry {
            Entry(tag: tag, type: signed ? 10 : 5, count: UInt32(pairs.count), bytes: pairs.flatMap { le($0.0) + le($0.1) })
        }
    }

    static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    /// Writes `adu` (width × height samples, 0…65535, rows top-down) to `path` atomically.
    public static func write(adu: [Float], width: Int, height: Int, camera: Camera, to path: String, overwrite: Bool) throws {
        let colours: [Character: UInt8] = ["R": 0, "G": 1, "B": 2]
        guard camera.pattern.count == 4, let cfa = Optional(camera.pattern.compactMap { colours[$0] }), cfa.count == 4 else {
            throw ImageIOError.unsupported(path: path, detail: "DNG needs a 2×2 RGB pattern, got \(camera.pattern)")
        }
        let stamp = camera.date.prefix(19).replacingOccurrences(of: "-", with: ":").replacingOccurrences(of: "T", with: " ")
        // Seconds as a rational: ms for long exposures, 1/N for short ones, 0/1 for a bias.
        let exposure: (UInt32, UInt32) = camera.exposure >= 1 ? (UInt32(camera.exposure * 1000), 1000)
            : camera.exposure > 0 ? (1, UInt32((1 / camera.exposure).rounded())) : (0, 1)
        let exif: [Entry] = [.rational(33434, [exposure]), .short(34855, [UInt16(clamping: camera.iso)]), .ascii(36867, stamp)]
        let stripBytes = width * height * 2
        var main: [Entry] = [
            .long(254, [0]), .long(256, [UInt32(width)]), .long(257, [UInt32(height)]), .short(258, [16]), .short(259, [1]),
            .short(262, [32803]), .ascii(271, camera.make), .ascii(272, camera.model), .long(273, [0]), .short(274, [1]),
            .short(277, [1]), .long(278, [UInt32(height)]), .long(279, [UInt32(stripBytes)]), .short(284, [1]),
            .ascii(306, stamp), .short(33421, [2, 2]), .byte(33422, cfa), .long(34665, [0]),
            .byte(50706, [1, 4, 0, 0]), .byte(50707, [1, 1, 0, 0]), .ascii(50708, "\(camera.make) \(camera.model)"),
            .byte(50710, [0, 1, 2]), .short(50711, [1]), .long(50714, [UInt32(camera.blackLevel)]), .long(50717, [UInt32(camera.whiteLevel)]),
            .rational(50721, [(1, 1), (0, 1), (0, 1), (0, 1), (1, 1), (0, 1), (0, 1), (0, 1), (1, 1)], signed: true), .short(50778, [21]),
        ]
        // Layout: header, IFD0, EXIF IFD, values that do not fit in an entry, then the strip.
        func ifdSize(_ entries: [Entry]) -> Int { 2 + 12 * entries.count + 4 }
        let mainOffset = 8, exifOffset = mainOffset + ifdSize(main)
        var dataOffset = exifOffset + ifdSize(exif)
        let overflow = (main + exif).reduce(0) { $0 + ($1.bytes.count > 4 ? ($1.bytes.count + 1) & ~1 : 0) }
        let stripOffset = (dataOffset + overflow + 15) & ~15
        main = main.map { entry in
            switch entry.tag {
            case 273: .long(273, [UInt32(stripOffset)])
            case 34665: .long(34665, [UInt32(exifOffset)])
            default: entry
            }
        }
        var file = [UInt8](repeating: 0, count: stripOffset + stripBytes)
        file.replaceSubrange(0..<8, with: [0x49, 0x49, 42, 0] + le(UInt32(mainOffset)))
        func put(_ entries: [Entry], at offset: Int) {
            var position = offset
            file.replaceSubrange(position..<(position + 2), with: le(UInt16(entries.count)))
            position += 2
            for entry in entries.sorted(by: { $0.tag < $1.tag }) {
                var value = entry.bytes
                if value.count > 4 {
                    file.replaceSubrange(dataOffset..<(dataOffset + value.count), with: value)
                    value = le(UInt32(dataOffset))
                    dataOffset += (entry.bytes.count + 1) & ~1
                }
                value += [UInt8](repeating: 0, count: 4 - value.count)
                file.replaceSubrange(position..<(position + 12), with: le(entry.tag) + le(entry.type) + le(entry.count) + value)
                position += 12
            }
            file.replaceSubrange(position..<(position + 4), with: le(UInt32(0)))
        }
        put(main, at: mainOffset)
        put(exif, at: exifOffset)
        for (index, sample) in adu.enumerated() {
            let value = UInt16(clamping: Int(sample.rounded()))
            file[stripOffset + 2 * index] = UInt8(value & 0xFF)
            file[stripOffset + 2 * index + 1] = UInt8(value >> 8)
        }
        try AtomicFileWriter.write(Data(file), to: path, overwrite: overwrite)
    }
}
