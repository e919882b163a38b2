import CLibRaw
import Foundation
import LerarCore

/// Camera raw files (CR2, CR3, NEF, ARW, RAF, ORF, DNG, …) through LibRaw: the sensor's colour-filter mosaic as
/// recorded — no black-level subtraction, white balance or demosaicing — so that bias, darks and flats calibrate it as
/// they do a CCD frame. Samples are ADU / 65535 like 16-bit FITS. The camera's metadata becomes the usual keywords:
/// EXPTIME, GAIN (the ISO, as capture programs write it), INSTRUME, DATE-OBS/DATE-LOC (the camera clock), BAYERPAT
/// (the visible area's 2×2 pattern, ROWORDER TOP-DOWN), BLKLEVEL and SATURATE (black and white level, ADU) and the
/// sensor temperature where the file has one.
enum CameraRawReader {
    /// Largest side LibRaw output is accepted with, px (medium-format backs are ~15000 px).
    static let maximumSide = 30_000

    static func readHeader(_ path: String) throws -> ImageFileHeader { try decode(path, pixels: false).header }

    static func read(_ path: String) throws -> Image {
        let (header, samples) = try decode(path, pixels: true)
        var image = Image(width: header.width, height: header.height, colorSpace: .gray, samples: samples!, metadata: header.metadata)
        image.sourceSampleFormat = .uint16
        return image
    }

    /// Opens `path` with LibRaw (and unpacks its pixels when asked), every failure an error naming the file.
    static func decode(_ path: String, pixels: Bool) throws -> (header: ImageFileHeader, samples: [Float]?) {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ImageIOError.cannotOpen(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        guard let raw = libraw_init(0) else { throw ImageIOError.cannotOpen(path: path, reason: "LibRaw could not start") }
        defer { libraw_close(raw) }
        // LibRaw prints data errors to stderr itself; Lerar reports them once, with the file's name.
        libraw_set_dataerror_handler(raw, { _, _, _ in }, nil)
        let opened = libraw_open_file(raw, path)
        guard opened == LIBRAW_SUCCESS.rawValue else { throw failure(path, opened, while: "reading its header") }
        let sizes = raw.pointee.sizes, parameters = raw.pointee.idata
        let width = Int(sizes.width), height = Int(sizes.height)
        guard width >= 2, height >= 2, width <= maximumSide, height <= maximumSide else {
            throw ImageIOError.tooLarge(path: path, detail: "camera raw size \(width)×\(height) px is outside 2…\(maximumSide) px")
        }
        guard parameters.filters != 0 else {
            throw ImageIOError.unsupported(path: path, detail: "this raw file has no colour filter mosaic (a linear DNG or a Foveon sensor): convert it to FITS or TIFF first")
        }
        let metadata = Self.metadata(raw, pattern: try Self.pattern(raw, path: path))
        let header = ImageFileHeader(path: path, format: .cameraRaw, width: width, height: height, colorSpace: .gray, sampleFormat: .uint16,
                                     compression: nil, pixelStorage: "Planar", checksum: nil, metadata: metadata, warnings: [])
        guard pixels else { return (header, nil) }

        let unpacked = libraw_unpack(raw)
        guard unpacked == LIBRAW_SUCCESS.rawValue else { throw failure(path, unpacked, while: "decoding its pixels") }
        guard let mosaic = raw.pointee.rawdata.raw_image else {
            throw ImageIOError.unsupported(path: path, detail: "LibRaw gives no single-plane mosaic for this camera's raw data")
        }
        let unpackedSizes = raw.pointee.rawdata.sizes
        let pitch = Int(unpackedSizes.raw_pitch) / 2, top = Int(unpackedSizes.top_margin), left = Int(unpackedSizes.left_margin)
        guard top + height <= Int(unpackedSizes.raw_height), left + width <= pitch else {
            throw ImageIOError.malformed(path: path, detail: "visible area \(width)×\(height) at (\(left), \(top)) lies outside the raw data")
        }
        var samples = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            let row = mosaic + (y + top) * pitch + left
            for x in 0..<width { samples[y * width + x] = Float(row[x]) / 65535 }
        }
        return (header, samples)
    }

    /// The 2×2 pattern of the visible area ("RGGB"), or X-Trans's 36 letters.
    static func pattern(_ raw: UnsafeMutablePointer<libraw_data_t>, path: String) throws -> String {
        let description = withUnsafeBytes(of: raw.pointee.idata.cdesc) { Array($0.prefix { $0 != 0 }) }
        func letter(_ row: Int, _ column: Int) throws -> Character {
            let index = Int(libraw_COLOR(raw, Int32(row), Int32(column)))
            guard index >= 0, index < description.count else {
                throw ImageIOError.unsupported(path: path, detail: "colour filter index \(index) outside the camera's colours")
            }
            return Character(UnicodeScalar(description[index]))
        }
        let side = raw.pointee.idata.filters == 9 ? 6 : 2
        var letters = ""
        for row in 0..<side { for column in 0..<side { letters.append(try letter(row, column)) } }
        guard side == 6 || letters.allSatisfy({ "RGB".contains($0) }) else {
            throw ImageIOError.unsupported(path: path, detail: "colour filters \(letters) (not red, green and blue): a CMYG or other sensor")
        }
        return letters
    }

    /// The camera's metadata as the keywords linking reads.
    static func metadata(_ raw: UnsafeMutablePointer<libraw_data_t>, pattern: String) -> ImageMetadata {
        let other = raw.pointee.other, colour = raw.pointee.color
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }.trimmingCharacters(in: .whitespaces)
        }
        var metadata = ImageMetadata()
        let make = text(raw.pointee.idata.make), model = text(raw.pointee.idata.model)
        metadata.setKeyword(.string("INSTRUME", model.hasPrefix(make) ? model : "\(make) \(model)", comment: "Camera (LibRaw make and model)"))
        if other.shutter > 0 { metadata.setKeyword(.number("EXPTIME", Double(other.shutter), comment: "[s] Exposure time (EXIF)")) }
        if other.iso_speed > 0 {
            metadata.setKeyword(.number("GAIN", Double(other.iso_speed), comment: "ISO speed (EXIF)"))
            metadata.setKeyword(.number("ISOSPEED", Double(other.iso_speed), comment: "ISO speed (EXIF)"))
        }
        if other.timestamp > 0 {
            // EXIF keeps the camera clock without a time zone; most cameras are set to local time.
            var time = other.timestamp, parts = tm()
            localtime_r(&time, &parts)
            let stamp = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec)
            metadata.setKeyword(.string("DATE-OBS", stamp, comment: "Camera clock (EXIF), time zone unknown"))
            metadata.setKeyword(.string("DATE-LOC", stamp, comment: "Camera clock (EXIF), taken as local time"))
        }
        // LibRaw marks an unknown temperature with -1000.
        for (value, name) in [(lerar_libraw_sensor_temperature(raw), "sensor"), (lerar_libraw_camera_temperature(raw), "camera body")] where value > -273 && value < 150 {
            metadata.setKeyword(.number("CCD-TEMP", Double(value), comment: "[C] \(name) temperature (maker notes)"))
            break
        }
        metadata.setKeyword(.string("BAYERPAT", pattern, comment: "CFA pattern of the visible area (LibRaw)"))
        metadata.setKeyword(.string("ROWORDER", "TOP-DOWN", comment: "Rows as the sensor reads them out"))
        let cblack = (0..<4).map { lerar_libraw_cblack(raw, Int32($0)) }
        let black = Double(colour.black) + Double(cblack.reduce(0, +)) / 4
        metadata.setKeyword(.number("BLKLEVEL", black, comment: "[ADU] Black level (left in the data; bias removes it)"))
        if colour.maximum > 0 { metadata.setKeyword(.number("SATURATE", Double(colour.maximum), comment: "[ADU] White level")) }
        metadata.addHistory("\(LerarVersion.application) read camera raw through LibRaw \(String(cString: libraw_version()))")
        return metadata
    }

    static func failure(_ path: String, _ code: Int32, while step: String) -> ImageIOError {
        let message = String(cString: libraw_strerror(code))
        if code == LIBRAW_FILE_UNSUPPORTED.rawValue {
            return .unsupported(path: path, detail: "not a camera raw format LibRaw knows (\(message))")
        }
        if code == LIBRAW_TOO_BIG.rawValue || code == LIBRAW_UNSUFFICIENT_MEMORY.rawValue {
            return .tooLarge(path: path, detail: "LibRaw: \(message)")
        }
        if code == LIBRAW_IO_ERROR.rawValue {
            return .malformed(path: path, detail: "LibRaw could not finish \(step) (\(message)): the file is truncated or not a camera raw file")
        }
        return .malformed(path: path, detail: "LibRaw failed \(step): \(message)")
    }
}
