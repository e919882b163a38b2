import CZlib
import Foundation

/// Minimal PNG writer for previews: 8-bit grey or RGB, no filtering, zlib-compressed (PNG specification §11).
public enum PNGEncoder {
    /// PNG bytes of an 8-bit image; `channels` is 1 (grey) or 3 (RGB), `pixels` row-major interleaved.
    public static func encode(width: Int, height: Int, channels: Int, pixels: [UInt8]) -> Data {
        precondition(channels == 1 || channels == 3, "PNG previews are grey or RGB")
        precondition(pixels.count == width * height * channels, "pixel count does not match the size")
        var raw = [UInt8]()
        raw.reserveCapacity((width * channels + 1) * height)
        for y in 0..<height {
            raw.append(0) // filter type None
            raw.append(contentsOf: pixels[(y * width * channels)..<((y + 1) * width * channels)])
        }
        var capacity = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(capacity))
        let status = compress2(&compressed, &capacity, raw, uLong(raw.count), 6)
        precondition(status == Z_OK, "zlib compress2 failed with \(status)")
        compressed.removeSubrange(Int(capacity)...)

        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = [UInt8]()
        header.append(contentsOf: bigEndian(UInt32(width)))
        header.append(contentsOf: bigEndian(UInt32(height)))
        header.append(contentsOf: [8, channels == 1 ? 0 : 2, 0, 0, 0])
        chunk("IHDR", header, into: &png)
        chunk("IDAT", compressed, into: &png)
        chunk("IEND", [], into: &png)
        return png
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)] }

    static func chunk(_ type: String, _ body: [UInt8], into png: inout Data) {
        let typed = Array(type.utf8) + body
        png.append(contentsOf: bigEndian(UInt32(body.count)))
        png.append(contentsOf: typed)
        png.append(contentsOf: bigEndian(UInt32(crc32(0, typed, uInt(typed.count)))))
    }
}
