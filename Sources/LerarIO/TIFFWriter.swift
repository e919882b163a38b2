import CTIFF
import Foundation
import LerarCore

/// 16-bit TIFF export of a display-ready (stretched, [0,1]) image through libtiff: grey or RGB, Deflate with the
/// horizontal predictor. TIFF integers have no NaN, so where the image has no data an alpha channel (unassociated)
/// is added and is 0 there: a coverage mask, never a real black.
public enum TIFFWriter {
    /// Writes `image` atomically; samples are clipped to [0,1] and scaled to 0…65535.
    public static func write(_ image: Image, to path: String, overwrite: Bool = false, software: String = LerarVersion.application) throws {
        let channels = image.channelCount
        let hasHoles = image.samples.contains { !$0.isFinite }
        let samplesPerPixel = channels + (hasHoles ? 1 : 0)
        let width = image.width, height = image.height, count = image.pixelCount
        try AtomicFileWriter.write(to: path, overwrite: overwrite) { temporary in
            guard let tiff = TIFFOpen(temporary, "w") else {
                throw ImageIOError.writeFailed(path: path, reason: "libtiff could not create the file")
            }
            var closed = false
            defer { if !closed { TIFFClose(tiff) } }
            var ok = lerar_tiff_set_long(tiff, UInt32(TIFFTAG_IMAGEWIDTH), UInt32(width)) == 1
            ok = ok && lerar_tiff_set_long(tiff, UInt32(TIFFTAG_IMAGELENGTH), UInt32(height)) == 1
            ok = ok && lerar_tiff_set_short(tiff, UInt32(TIFFTAG_BITSPERSAMPLE), 16) == 1
            ok = ok && lerar_tiff_set_short(tiff, UInt32(TIFFTAG_SAMPLESPERPIXEL), UInt16(samplesPerPixel)) == 1
            ok = ok && lerar_tiff_set_short(tiff, UInt32(TIFFTAG_SAMPLEFORMAT), UInt16(SAMPLEFORMAT_UINT)) == 1
            ok = ok && lerar_tiff_set_short(tiff, UInt32(TIFFTAG_PHOTOMETRIC), UInt16(channels == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK)) == 1
            ok = ok && lerar_tiff_set_short(tiff, UInt32(TIFFTAG_PLANARCONFIG), UInt16(PLANARCONFIG_CONTIG)) == 1
            ok = ok && lerar_tiff_set_short(tiff, UInt32(TIFFTAG_ORIENTATION), UInt16(ORIENTATION_TOPLEFT)) == 1
            ok = ok && lerar_tiff_set_short(tiff, UInt32(TIFFTAG_COMPRESSION), UInt16(COMPRESSION_ADOBE_DEFLATE)) == 1
            ok = ok && lerar_tiff_set_short(tiff, UInt32(TIFFTAG_PREDICTOR), UInt16(PREDICTOR_HORIZONTAL)) == 1
            ok = ok && lerar_tiff_set_long(tiff, UInt32(TIFFTAG_ROWSPERSTRIP), UInt32(max(1, 65536 / max(1, width * samplesPerPixel * 2)))) == 1
            ok = ok && lerar_tiff_set_string(tiff, UInt32(TIFFTAG_SOFTWARE), software) == 1
            if hasHoles {
                var kinds: [UInt16] = [UInt16(EXTRASAMPLE_UNASSALPHA)]
                ok = ok && lerar_tiff_set_extra_samples(tiff, 1, &kinds) == 1
            }
            guard ok else { throw ImageIOError.writeFailed(path: path, reason: "libtiff refused a tag") }
            var row = [UInt16](repeating: 0, count: width * samplesPerPixel)
            try image.withSamples { samples in
                for y in 0..<height {
                    for x in 0..<width {
                        var valid = true
                        for c in 0..<channels {
                            let v = samples[c * count + y * width + x]
                            if !v.isFinite { valid = false }
                            row[x * samplesPerPixel + c] = v.isFinite ? UInt16((Double(min(1, max(0, v))) * 65535).rounded()) : 0
                        }
                        if hasHoles { row[x * samplesPerPixel + channels] = valid ? 65535 : 0 }
                    }
                    let written = row.withUnsafeMutableBytes { TIFFWriteScanline(tiff, $0.baseAddress, UInt32(y), 0) }
                    guard written == 1 else { throw ImageIOError.writeFailed(path: path, reason: "libtiff could not write row \(y) (disk full?)") }
                }
            }
            closed = true
            TIFFClose(tiff)
        }
    }
}
