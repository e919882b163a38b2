import Foundation
import LerarCore

/// Settings of the ScreenTransferFunction auto-stretch; each default is declared here once.
public struct AutoStretchParameters: Sendable, Equatable, Codable {
    /// Shadows clipping in normalised MAD units from the median; default `ScreenTransferDefaults` (−2.80).
    public var shadowsClipping: Double = ScreenTransferDefaults.shadowsClipping
    /// Where the background lands after the stretch, [0,1]; default `ScreenTransferDefaults` (0.25).
    public var targetBackground: Double = ScreenTransferDefaults.targetBackground
    /// One transformation for all channels (true: colour kept, PixInsight's default) or one per channel (hides casts).
    public var linked: Bool = true

    public init(shadowsClipping: Double = ScreenTransferDefaults.shadowsClipping, targetBackground: Double = ScreenTransferDefaults.targetBackground, linked: Bool = true) {
        self.shadowsClipping = shadowsClipping
        self.targetBackground = targetBackground
        self.linked = linked
    }
}

/// The STF auto-stretch: a HistogramTransformation per channel computed from the median and MAD.
public enum AutoStretch {
    /// Normalised MAD of a Gaussian (MAD × 1.4826 = σ).
    static let madToSigma = 1.4826

    /// The transformations (one per channel, equal when linked) for `image`. Statistics skip NaN and exact zeros,
    /// the registration borders that would bias the median low and the MAD high.
    public static func transformations(for image: Image, parameters: AutoStretchParameters = .init()) -> [HistogramTransformation] {
        let options = StatisticsOptions(ignoreNaN: true, ignoreZero: true)
        let stats = (0..<image.channelCount).map { channel in
            image.withChannel(channel) { plane -> (median: Double, mad: Double) in
                let s = RobustStatistics.compute(plane, options: options)
                return (s.median.isFinite ? s.median : 0, s.mad.isFinite ? s.mad * madToSigma : 0)
            }
        }
        if parameters.linked {
            return Array(repeating: transformation(stats, parameters), count: image.channelCount)
        }
        return stats.map { transformation([$0], parameters) }
    }

    /// `image` stretched by its auto-stretch.
    public static func apply(to image: Image, parameters: AutoStretchParameters = .init()) -> Image {
        HistogramTransformation.apply(transformations(for: image, parameters: parameters), to: image)
    }

    /// PixInsight's linked formula over the given channels' statistics (a single channel is the unlinked case).
    static func transformation(_ stats: [(median: Double, mad: Double)], _ p: AutoStretchParameters) -> HistogramTransformation {
        let n = Double(stats.count)
        let meanMedian = stats.map(\.median).reduce(0, +) / n
        let inverted = stats.allSatisfy { $0.median > 0.5 }
        if !inverted {
            // A channel without dispersion contributes 0 to the shadows sum, as PCL does.
            let c0 = min(1, max(0, stats.map { $0.mad > 0 ? $0.median + p.shadowsClipping * $0.mad : 0 }.reduce(0, +) / n))
            let m = midtonesTransfer(p.targetBackground, meanMedian - c0)
            return HistogramTransformation(shadows: c0, midtones: m, highlights: 1)
        }
        let c1 = min(1, max(0, stats.map { $0.mad > 0 ? $0.median - p.shadowsClipping * $0.mad : 1 }.reduce(0, +) / n))
        let m = midtonesTransfer(c1 - meanMedian, p.targetBackground)
        return HistogramTransformation(shadows: 0, midtones: m, highlights: c1)
    }
}
