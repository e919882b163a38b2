import Foundation
import LerarCore

/// Turns a calibrated single-plane CFA mosaic into an RGB image.
public enum Debayer {
    /// Keywords that describe a mosaic and no longer hold for its RGB result.
    public static let mosaicKeywords = ["BAYERPAT", "COLORTYP", "XBAYROFF", "YBAYROFF"]

    /// The RGB image of `mosaic` (normalised samples, NaN = no data), its pattern from its header unless
    /// `parameters.pattern` overrides it. The result keeps the metadata, less the mosaic keywords, plus a HISTORY line
    /// with `DEBAYER` (the method) and `CFAUSED` (the pattern as applied to the stored rows).
    public static func debayer(_ mosaic: Image, parameters: DebayerParameters = DebayerParameters()) throws -> Image {
        let layout = try CFALayout(metadata: mosaic.metadata, height: mosaic.height, override: parameters.pattern)
        return try debayer(mosaic, layout: layout, method: parameters.method)
    }

    /// The RGB image of `mosaic` with a layout already resolved.
    public static func debayer(_ mosaic: Image, layout: CFALayout, method: DebayerMethod) throws -> Image {
        guard mosaic.channelCount == 1 else { throw DebayerError.notMosaic(channels: mosaic.channelCount) }
        guard mosaic.width >= 2, mosaic.height >= 2 else { throw DebayerError.tooSmall(width: mosaic.width, height: mosaic.height) }
        var metadata = mosaic.metadata
        for key in mosaicKeywords { metadata.removeKeyword(key) }
        metadata.setKeyword(.string("DEBAYER", method.rawValue.uppercased(), comment: "Demosaicing method"))
        metadata.setKeyword(.string("CFAUSED", layout.pattern.rawValue, comment: "CFA pattern of the stored rows, as debayered"))
        metadata.addHistory("\(LerarVersion.application) debayer: \(method.rawValue), \(layout.explanation)")
        var result = try mosaic.samples.withUnsafeBufferPointer { samples -> Image in
            let view = Mosaic(samples: samples, width: mosaic.width, height: mosaic.height, pattern: layout.pattern)
            switch method {
            case .vng: return VNGDemosaic.run(view, metadata: metadata)
            case .bilinear: return BilinearDemosaic.run(view, metadata: metadata)
            case .superpixel: return try SuperPixelDemosaic.run(view, metadata: metadata)
            }
        }
        result.sourceSampleFormat = mosaic.sourceSampleFormat
        return result
    }
}
