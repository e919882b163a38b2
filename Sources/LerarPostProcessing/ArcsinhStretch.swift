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
        let count = image.pixelCount
        output.withMutableSamples { samples in
            let shared = UnsafeSendable(samples)
            Parallel.forEachChunk(count: count) { range in
                let s = shared.value
                for i in range {
                    var values = (0..<channels).map { Double(s[$0 * count + i]) - black }
                    guard values.allSatisfy(\.isFinite) else {  // no data in one channel: none in the stretched pixel
                        for c in 0..<channels { s[c * count + i] = .nan }
                        continue
                    }
                    for c in 0..<channels { values[c] = max(0, values[c]) }
                    var l = 0.0
                    for c in 0..<channels { l += weights[c] * values[c] }
                    l /= weightSum
                    let k = l > 0 ? asinh(beta * l) / (l * norm) : beta / norm
                    for c in 0..<channels { values[c] = min(1, values[c] * k) }
                    for c in 0..<channels { s[c * count + i] = Float(values[c]) }
                }
            }
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
