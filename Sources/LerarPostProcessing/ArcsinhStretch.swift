import Foundation
import LerarCore

/// Settings of the arcsinh stretch; each default is declared here once.
public struct ArcsinhStretchParameters: Sendable, Equatable, Codable {
    /// Stretch factor β of asinh(β·x)/asinh(β); default 100. Siril's `asinh` has no default (its examples use
    /// 10–1000); 100 lifts a 1 %-of-range sky to about a fifth of the range, like the STF's 0.25 target.
    public var stretch: Double = 100
    /// Black point, image units; nil: the STF's shadows point (median − 2.8 σ of the luminance) so the sky
    /// is not clipped.
    public var blackPoint: Double? = nil
    /// Luminance weights of R, G, B; default equal (Siril's default; its `-human` option uses 0.2126/0.7152/0.0722).
    public var weights: [Double] = [1.0 / 3, 1.0 / 3, 1.0 / 3]

    public init(stretch: Double = 100, blackPoint: Double? = nil, weights: [Double] = [1.0 / 3, 1.0 / 3, 1.0 / 3]) {
        self.stretch = stretch
        self.blackPoint = blackPoint
        self.weights = weights
    }
}

/// The arcsinh stretch that keeps star colour: every channel of a pixel is multiplied by the same factor
/// asinh(β·L)/(L·asinh(β)) of its luminance L, so channel ratios (hue and saturation) survive the stretch
/// (Lupton et al. 2004; Siril's `asinh`).
public enum ArcsinhStretch {
    public static func apply(to image: Image, parameters: ArcsinhStretchParameters = .init()) -> Image {
        let channels = image.channelCount
        let weights = channels == 3 ? parameters.weights : [1.0]
        let weightSum = weights.reduce(0, +)
        let black = parameters.blackPoint ?? defaultBlackPoint(image)
        let beta = parameters.stretch, norm = asinh(beta)
        var output = image
        let w = SIMD3<Double>(weights[0], channels == 3 ? weights[1] : 0, channels == 3 ? weights[2] : 0) / weightSum
        PixelLoop.forEachPixel(of: &output) { s, i, count in
            // Channels as one vector (a gray image uses .x only); no per-pixel allocation.
            var v = SIMD3<Double>(repeating: 0)
            for c in 0..<channels { v[c] = Double(s[c * count + i]) - black }
            guard (0..<channels).allSatisfy({ v[$0].isFinite }) else {  // no data in one channel: none in the stretched pixel
                for c in 0..<channels { s[c * count + i] = .nan }
                return
            }
            v = v.replacing(with: 0, where: v .< 0)
            let l = (v * w).sum()
            let k = l > 0 ? asinh(beta * l) / (l * norm) : beta / norm
            for c in 0..<channels { s[c * count + i] = Float(min(1, v[c] * k)) }
        }
        return output
    }

    /// median − 2.8 σ of the channel mean (the STF's shadows rule), never below 0.
    static func defaultBlackPoint(_ image: Image) -> Double {
        let plane = image.channelMean()
        let stats = plane.withUnsafeBufferPointer { RobustStatistics.compute($0, options: StatisticsOptions(ignoreNaN: true, ignoreZero: true)) }
        guard stats.median.isFinite else { return 0 }
        return max(0, stats.median + ScreenTransferDefaults.shadowsClipping * 1.4826 * stats.mad)
    }
}
