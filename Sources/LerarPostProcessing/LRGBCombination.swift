import Foundation
import LerarCore

/// Settings of LRGBCombination; each default is declared here once (PixInsight's LRGBCombination,
/// shared/reference/postprocessing.md §3).
public struct LRGBCombinationParameters: Sendable, Equatable, Codable {
    /// Weights of R, G, B (divided by their maximum); default 1 each.
    public var channelWeights: [Double] = [1, 1, 1]
    /// Weight of the luminance image against the RGB's own lightness; default 1 (the L image replaces it).
    public var luminanceWeight: Double = 1
    /// Midtones balance applied to the lightness ("Lightness" slider); default 0.5, the identity.
    public var lightness: Double = 0.5
    /// Midtones balance applied to the chroma, weighted by lightness ("Saturation"); default 0.5, the identity;
    /// below 0.5 saturates.
    public var saturation: Double = 0.5
    /// Clip the weighted RGB into [0,1] before combining; default true.
    public var clipHighlights: Bool = true
    /// Smooth the chrominance (a*, b*) of the result; default false.
    public var chrominanceNoiseReduction: Bool = false
    /// Wavelet layers removed from a*, b* by the noise reduction; default 4 (range 1–6).
    public var layersRemoved: Int = 4
    /// Layers of the protection mask's smoothing kept from the removal; default 2 (range 0–5).
    public var layersProtected: Int = 2

    public init(channelWeights: [Double] = [1, 1, 1], luminanceWeight: Double = 1, lightness: Double = 0.5, saturation: Double = 0.5,
                clipHighlights: Bool = true, chrominanceNoiseReduction: Bool = false, layersRemoved: Int = 4, layersProtected: Int = 2) {
        self.channelWeights = channelWeights
        self.luminanceWeight = luminanceWeight
        self.lightness = lightness
        self.saturation = saturation
        self.clipHighlights = clipHighlights
        self.chrominanceNoiseReduction = chrominanceNoiseReduction
        self.layersRemoved = layersRemoved
        self.layersProtected = layersProtected
    }
}

/// The combined image and what the user should know about its inputs.
public struct LRGBCombinationResult: Sendable {
    public var image: Image
    public var notes: [String]
}

/// The stretched luminance replaces the CIE L* of the stretched RGB; hue is kept and chroma optionally boosted.
public enum LRGBCombination {
    public static func combine(luminance: Image, rgb: Image, parameters: LRGBCombinationParameters = .init()) throws -> LRGBCombinationResult {
        guard rgb.channelCount == 3 else { throw PostProcessingError.invalidInput("LRGBCombination: the RGB image has \(rgb.channelCount) channel(s)") }
        guard luminance.width == rgb.width, luminance.height == rgb.height else {
            throw PostProcessingError.sizeMismatch("LRGBCombination: L is \(luminance.width)×\(luminance.height), RGB \(rgb.width)×\(rgb.height)")
        }
        var notes: [String] = []
        let lMedian = luminance.withChannel(0) { RobustStatistics.median($0) }
        let rgbMedian = rgb.statistics().map(\.median).reduce(0, +) / 3
        if lMedian > 0, rgbMedian > 0, max(lMedian / rgbMedian, rgbMedian / lMedian) > 2 {
            notes.append(String(format: "the L median (%.3f) and the RGB median (%.3f) differ by more than ×2: stretch both to a similar background first, or the colour washes out", lMedian, rgbMedian))
        }
        let maxWeight = parameters.channelWeights.max() ?? 1
        let weights = parameters.channelWeights.map { maxWeight > 0 ? $0 / maxWeight : 0 }
        let lPlane = luminance.withChannel(0) { Array($0) }
        let weightVector = SIMD3<Double>(weights[0], weights[1], weights[2])
        var output = rgb
        output.metadata.removeKeyword("FILTER")
        PixelLoop.forEachPixel(of: &output) { s, i, count in
            var c = SIMD3<Double>(Double(s[i]), Double(s[count + i]), Double(s[2 * count + i])) * weightVector
            var l = Double(lPlane[i])
            guard c.x.isFinite, c.y.isFinite, c.z.isFinite, l.isFinite else {
                s[i] = .nan; s[count + i] = .nan; s[2 * count + i] = .nan
                return
            }
            if parameters.clipHighlights { c = c.clamped(lowerBound: .zero, upperBound: .one) }
            let lab = CIELab.lab(r: c.x, g: c.y, b: c.z)
            l = midtonesTransfer(parameters.lightness, min(1, max(0, l)))
            if parameters.luminanceWeight != 1 { l = parameters.luminanceWeight * l + (1 - parameters.luminanceWeight) * lab.l / 100 }
            var out = CIELab.Lab(l: 100 * l, a: lab.a, b: lab.b)
            if parameters.saturation != 0.5 {
                // Chroma on a 0–100 scale like L*; the boost is weighted by lightness so dark noisy sky keeps its chroma.
                let chroma = min(1, lab.chroma / 100)
                let boosted = midtonesTransfer(parameters.saturation, chroma) * l + chroma * (1 - l)
                let scale = lab.chroma > 0 ? 100 * boosted / lab.chroma : 0
                out.a *= scale; out.b *= scale
            }
            let result = CIELab.rgb(out)
            s[i] = Float(min(1, result.r)); s[count + i] = Float(min(1, result.g)); s[2 * count + i] = Float(min(1, result.b))
        }
        if parameters.chrominanceNoiseReduction {
            output = ChrominanceNoiseReduction.apply(to: output, layersRemoved: parameters.layersRemoved, layersProtected: parameters.layersProtected)
        }
        return LRGBCombinationResult(image: output, notes: notes)
    }
}

/// LRGBCombination's chrominance noise reduction: a*, b* lose their first wavelet layers where a mask from the chroma
/// says the colour is noise-level, and keep it where the colour is strong.
enum ChrominanceNoiseReduction {
    static func apply(to image: Image, layersRemoved: Int, layersProtected: Int) -> Image {
        let count = image.pixelCount, width = image.width, height = image.height
        var l = [Float](repeating: .nan, count: count), a = l, b = l
        image.withSamples { s in
            for i in 0..<count {
                let lab = CIELab.lab(r: Double(s[i]), g: Double(s[count + i]), b: Double(s[2 * count + i]))
                l[i] = Float(lab.l); a[i] = Float(lab.a); b[i] = Float(lab.b)
            }
        }
        let removed = min(6, max(1, layersRemoved))
        let smoothA = ATrousSmoothing.residual(a, width: width, height: height, layers: removed)
        let smoothB = ATrousSmoothing.residual(b, width: width, height: height, layers: removed)
        var mask = [Float](repeating: 1, count: count)
        if layersProtected > 0 {
            // Strong chroma (stars, nebulae) keeps its detail: the mask falls from 1 (smoothed) at the median chroma − 2 σ
            // to 0 (original) at the median + 2 σ, itself smoothed so its edges do not show.
            var chroma = (0..<count).map { (smoothA[$0] * smoothA[$0] + smoothB[$0] * smoothB[$0]).squareRoot() }
            let stats = chroma.withUnsafeBufferPointer { RobustStatistics.compute($0) }
            let sigma = max(1e-6, 1.4826 * stats.mad), low = stats.median - 2 * sigma, high = stats.median + 2 * sigma
            for i in 0..<count { chroma[i] = Float(1 - min(1, max(0, (Double(chroma[i]) - low) / (high - low)))) }
            mask = ATrousSmoothing.residual(chroma, width: width, height: height, layers: max(1, removed - min(5, layersProtected)))
        }
        var output = image
        output.withMutableSamples { s in
            for i in 0..<count where l[i].isFinite {
                let m = Double(mask[i])
                let lab = CIELab.Lab(l: Double(l[i]), a: m * Double(smoothA[i]) + (1 - m) * Double(a[i]),
                                     b: m * Double(smoothB[i]) + (1 - m) * Double(b[i]))
                let rgb = CIELab.rgb(lab)
                s[i] = Float(min(1, rgb.r)); s[count + i] = Float(min(1, rgb.g)); s[2 * count + i] = Float(min(1, rgb.b))
            }
        }
        return output
    }
}
