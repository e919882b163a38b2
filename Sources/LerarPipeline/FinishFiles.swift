import Foundation
import LerarCore
import LerarIO
import LerarPostProcessing

/// What the finish wrote for one panel (schema `lerar.run`'s `finishes[]`, and `final/finish.json` on its own).
public struct FinishRecord: Sendable, Codable, Equatable {
    public var panel: String
    /// The masters it started from, by role (L, R, G, B, RGB).
    public var inputs: [String: String]
    /// The LN references the PSF was measured on.
    public var psfReferences: [String]
    public var outputs: [String]
    public var psf: MoffatPSF?
    public var deconvolution: DeconvolutionReport?
    public var crop: [Int]
    public var steps: [FinishStep]
    public var notes: [String]
    /// The final image's preview and the deconvolution's before/after crop, PNG files.
    public var preview: String?, deconvolutionCrop: String?
}

/// Which master plays which part in the finish.
public enum FinishRoles {
    /// The role of a filter name: L, R, G or B; nil for others (narrowband is left to the user).
    public static func role(filter: String) -> String? {
        switch filter.uppercased() {
        case "L", "LUM", "LUMINANCE", "CLEAR", "C": "L"
        case "R", "RED": "R"
        case "G", "GREEN": "G"
        case "B", "BLUE": "B"
        default: nil
        }
    }

    /// Roles in display order.
    public static let order = ["L", "R", "G", "B", "RGB"]

    /// The finish's inputs read from files: role (L, R, G, B, RGB) → master, and the LN references for the PSF.
    public static func readInputs(_ masters: [String: String], psfReferences: [String]) throws -> FinishInputs {
        let images = try masters.mapValues { try ImageFile.read($0) }
        return FinishInputs(luminance: images["L"], red: images["R"], green: images["G"], blue: images["B"], color: images["RGB"],
                            psfReferences: try psfReferences.map { try ImageFile.read($0) })
    }
}

/// Writes the finish's products into a folder (WBPP-like names): `RGB_linear.xisf` (Float32: combined, neutralized,
/// colour-calibrated, not deconvolved), `LRGB.xisf` or `RGB.xisf` (stretched), the same as a 16-bit TIFF, a PNG
/// preview, the PSF kernel (and a PNG of it), the deconvolved plane (`L_deconvolved.xisf` or `Luminance_deconvolved.xisf`, linear) and a
/// before/after crop of the deconvolution.
public enum FinishFiles {
    public static func write(_ products: FinishProducts, to folder: String, panel: String, inputs: [String: String], psfReferences: [String],
                             overwrite: Bool = true) throws -> FinishRecord {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        let stem = products.hasLuminance ? "LRGB" : "RGB"
        var outputs: [String] = []
        var linear = products.rgbLinear
        linear.metadata.addHistory("\(LerarVersion.application) finish: " + products.steps.prefix { $0.name != "PSF" && $0.name != "Deconvolution" }.map(\.name).joined(separator: ", "))
        let float = ImageWriteOptions(sampleFormat: .float32, overwrite: overwrite)
        try ImageFile.write(linear, to: path("RGB_linear.xisf"), options: float)
        outputs.append(path("RGB_linear.xisf"))
        var final = products.final
        final.metadata.addHistory("\(LerarVersion.application) finish: " + products.steps.map(\.name).joined(separator: ", "))
        try ImageFile.write(final, to: path("\(stem).xisf"), options: float)
        try TIFFWriter.write(final, to: path("\(stem).tif"), overwrite: overwrite)
        let preview = path("\(stem).png")
        try AtomicFileWriter.write(PreviewRenderer.displayPNG(final, maxWidth: 1600), to: preview, overwrite: overwrite)
        outputs += [path("\(stem).xisf"), path("\(stem).tif"), preview]
        var cropPath: String?
        if let psf = products.psf {
            let radius = psf.kernelRadius()
            let kernel = Image(width: 2 * radius + 1, height: 2 * radius + 1, samples: psf.kernel(radius: radius))
            try ImageFile.write(kernel, to: path("PSF.xisf"), options: float)
            try AtomicFileWriter.write(psfPNG(kernel), to: path("PSF.png"), overwrite: overwrite)
            outputs += [path("PSF.xisf"), path("PSF.png")]
        }
        if let after = products.afterDeconvolution {
            // The deconvolved plane, linear: L of an LRGB, or the RGB's luminance (whose gain went into every channel).
            var deconvolved = after
            deconvolved.metadata.addHistory("\(LerarVersion.application) finish: deconvolved (regularised Richardson–Lucy)")
            try ImageFile.write(deconvolved, to: path("\(products.hasLuminance ? "L" : "Luminance")_deconvolved.xisf"), options: float)
            outputs.append(path("\(products.hasLuminance ? "L" : "Luminance")_deconvolved.xisf"))
        }
        if let before = products.beforeDeconvolution, let after = products.afterDeconvolution {
            cropPath = path("deconvolution_before_after.png")
            try AtomicFileWriter.write(beforeAfterPNG(before, after), to: cropPath!, overwrite: overwrite)
            outputs.append(cropPath!)
        }
        let record = FinishRecord(panel: panel, inputs: inputs, psfReferences: psfReferences, outputs: outputs, psf: products.psf,
                                  deconvolution: products.deconvolution, crop: products.crop, steps: products.steps, notes: products.notes,
                                  preview: preview, deconvolutionCrop: cropPath)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFileWriter.write(try encoder.encode(record), to: path("finish.json"), overwrite: overwrite)
        return record
    }

    /// The PSF kernel enlarged to about 160 px, square-root stretched so its wings show.
    static func psfPNG(_ kernel: Image) -> Data {
        let side = kernel.width, zoom = max(1, 160 / side), peak = kernel.samples.max() ?? 1
        var pixels = [UInt8](repeating: 0, count: side * zoom * side * zoom)
        for y in 0..<(side * zoom) {
            for x in 0..<(side * zoom) {
                pixels[y * side * zoom + x] = UInt8((255 * (Double(max(0, kernel[x / zoom, y / zoom])) / Double(peak)).squareRoot()).rounded())
            }
        }
        return PNGEncoder.encode(width: side * zoom, height: side * zoom, channels: 1, pixels: pixels)
    }

    /// The deconvolved plane's brightest-star region before and after, 1:1 pixels enlarged ×3, one stretch for both.
    static func beforeAfterPNG(_ before: Image, _ after: Image) -> Data {
        let side = min(96, before.width, before.height)
        // Centre on the 90th-percentile brightest area: a star field, not the single brightest (saturated) star.
        var best = (x: 0, y: 0), bestValue = -Float.infinity
        let step = max(1, side / 2)
        before.withChannel(0) { plane in
            for y in stride(from: 0, through: before.height - side, by: step) {
                for x in stride(from: 0, through: before.width - side, by: step) {
                    var values: [Float] = []
                    for yy in stride(from: y, to: y + side, by: 4) { for xx in stride(from: x, to: x + side, by: 4) where plane[yy * before.width + xx].isFinite { values.append(plane[yy * before.width + xx]) } }
                    values.sort()
                    if let v = values.isEmpty ? nil : values[values.count * 9 / 10], v > bestValue { bestValue = v; best = (x, y) }
                }
            }
        }
        let a = before.cropped(x: best.x, y: best.y, width: side, height: side), b = after.cropped(x: best.x, y: best.y, width: side, height: side)
        let transform = stretchFunction(a)
        let zoom = 3, gap = 6, width = 2 * side * zoom + gap, height = side * zoom
        var pixels = [UInt8](repeating: 40, count: width * height)
        for (index, image) in [a, b].enumerated() {
            let x0 = index * (side * zoom + gap)
            for y in 0..<height { for x in 0..<(side * zoom) {
                pixels[y * width + x0 + x] = UInt8((255 * transform(image[x / zoom, y / zoom])).rounded())
            } }
        }
        return PNGEncoder.encode(width: width, height: height, channels: 1, pixels: pixels)
    }

    /// The STF auto-stretch of `image` (gray) as a function of a sample.
    static func stretchFunction(_ image: Image) -> (Float) -> Double {
        let transform = AutoStretch.transformations(for: image)[0]
        return { v in v.isFinite ? transform.apply(Double(v)) : 0 }
    }
}
