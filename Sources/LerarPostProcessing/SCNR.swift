import LerarCore

/// How SCNR limits the green channel (shared/reference/postprocessing.md §6).
public enum SCNRMethod: String, Sendable, Equatable, Codable, CaseIterable {
    /// G′ = min(G, (R + B)/2): PixInsight's default.
    case averageNeutral = "average-neutral"
    /// G′ = min(G, max(R, B)): keeps genuine teal (OIII) structures.
    case maximumNeutral = "maximum-neutral"
    /// m = max(R, B); G′ = G·(1 − a)·(1 − m) + m·G.
    case maximumMask = "maximum-mask"
    /// m = min(1, R + B); G′ = G·(1 − a)·(1 − m) + m·G.
    case additiveMask = "additive-mask"
}

/// Settings of SCNR; each default is declared here once.
public struct SCNRParameters: Sendable, Equatable, Codable {
    /// Default average neutral, PixInsight's SCNR.
    public var method: SCNRMethod = .averageNeutral
    /// Strength in [0,1]; default 1 (PixInsight, observed). The neutral methods blend the result with the original
    /// by it, as PixInsight does.
    public var amount: Double = 1
    /// Keep each pixel's CIE L* (only its colour changes); default true (PixInsight, observed; Siril's option).
    public var preserveLightness: Bool = true

    public init(method: SCNRMethod = .averageNeutral, amount: Double = 1, preserveLightness: Bool = true) {
        self.method = method
        self.amount = amount
        self.preserveLightness = preserveLightness
    }
}

/// Subtractive Chromatic Noise Reduction of green: a colour-balanced sky has no green objects, so excess green is noise
/// or a leftover cast.
public enum SCNR {
    /// `image` (RGB) with its green limited.
    public static func apply(to image: Image, parameters: SCNRParameters = .init()) throws -> Image {
        guard image.channelCount == 3 else { throw PostProcessingError.invalidInput("SCNR needs a colour image, got \(image.channelCount) channel(s)") }
        let a = min(1, max(0, parameters.amount))
        var output = image
        PixelLoop.forEachPixel(of: &output) { s, i, count in
            let r = Double(s[i]), g = Double(s[count + i]), b = Double(s[2 * count + i])
            guard r.isFinite, g.isFinite, b.isFinite else { return }
            let newG: Double
            switch parameters.method {
            case .averageNeutral: newG = (1 - a) * g + a * min(g, (r + b) / 2)
            case .maximumNeutral: newG = (1 - a) * g + a * min(g, max(r, b))
            case .maximumMask:
                let m = min(1, max(0, max(r, b)))
                newG = g * (1 - a) * (1 - m) + m * g
            case .additiveMask:
                let m = min(1, max(0, r + b))
                newG = g * (1 - a) * (1 - m) + m * g
            }
            if newG == g { return }
            if parameters.preserveLightness {
                let before = CIELab.lab(r: r, g: g, b: b)
                var after = CIELab.lab(r: r, g: newG, b: b)
                after.l = before.l
                let rgb = CIELab.rgb(after)
                s[i] = Float(rgb.r); s[count + i] = Float(rgb.g); s[2 * count + i] = Float(rgb.b)
            } else {
                s[count + i] = Float(newG)
            }
        }
        return output
    }
}
