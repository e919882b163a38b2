import Foundation
import LerarCore

/// Location, scale and noise of one channel of one frame, for normalization and weighting.
public struct ChannelEstimates: Sendable, Codable, Equatable {
    /// Median (location), image units.
    public var location: Double
    /// Scale from the chosen estimator (σ-consistent), image units; NaN when the normalization did not need it.
    public var scale: Double
    /// Noise σ from the first wavelet layer with k-sigma clipping, image units.
    public var noise: Double
}

/// Robust estimators over a channel's samples (NaN and ±Inf skipped).
public enum ChannelEstimator {
    /// Estimates for `samples` with `estimator`; `scale` only when asked (else NaN: a location-only normalization such
    /// as a flat's multiplicative one needs the median alone, which takes no copy of the samples, where the MAD takes
    /// two), `noise` only when asked (it needs the image geometry).
    public static func estimate(_ samples: UnsafeBufferPointer<Float>, width: Int, height: Int,
                                estimator: IntegrationParameters.ScaleEstimator, withScale: Bool = true, withNoise: Bool) -> ChannelEstimates {
        let noise = withNoise ? waveletNoise(samples, width: width, height: height) : .nan
        guard withScale else { return ChannelEstimates(location: RobustStatistics.median(samples), scale: .nan, noise: noise) }
        let stats = RobustStatistics.compute(samples)
        var location = stats.median
        var scale: Double
        switch estimator {
        case .mad: scale = stats.sigmaMAD
        case .bwmv: scale = biweightMidvariance(samples, median: stats.median, mad: stats.mad).squareRoot()
        case .ikss:
            (location, scale) = ikss(samples, median: stats.median, mad: stats.mad)
        }
        if !(scale > 0) { scale = stats.standardDeviation > 0 ? stats.standardDeviation : 1e-12 }
        return ChannelEstimates(location: location, scale: scale, noise: noise)
    }

    /// Biweight midvariance around `median` with tuning constant 9 (MAD units).
    public static func biweightMidvariance(_ samples: UnsafeBufferPointer<Float>, median: Double, mad: Double, lower: Double = -.infinity, upper: Double = .infinity) -> Double {
        guard mad > 0 else { return 0 }
        let shared = UnsafeSendable(samples)
        let parts = Parallel.mapChunks(count: samples.count, minimumChunkSize: 1 << 16) { range -> (Double, Double, Int) in
            var numerator = 0.0, denominator = 0.0, count = 0
            for i in range {
                let x = Double(shared.value[i])
                guard x.isFinite, x > lower, x < upper else { continue }
                count += 1
                let d = x - median, u = d / (9 * mad)
                guard abs(u) < 1 else { continue }
                let u2 = u * u, w = 1 - u2
                numerator += d * d * w * w * w * w
                denominator += w * (1 - 5 * u2)
            }
            return (numerator, denominator, count)
        }
        let numerator = parts.reduce(0) { $0 + $1.0 }, denominator = parts.reduce(0) { $0 + $1.1 }, count = parts.reduce(0) { $0 + $1.2 }
        guard denominator != 0 else { return 0 }
        return Double(count) * numerator / (denominator * denominator)
    }

    /// Iterative k-sigma location and scale: keep samples within 4σ of the median, σ from the biweight midvariance,
    /// until the kept set settles (PixInsight's IKSS estimator, without its final normalisation constant).
    static func ikss(_ samples: UnsafeBufferPointer<Float>, median: Double, mad: Double) -> (Double, Double) {
        var location = median, scale = biweightMidvariance(samples, median: median, mad: mad).squareRoot()
        for _ in 0..<10 {
            guard scale > 0 else { break }
            let lower = location - 4 * scale, upper = location + 4 * scale
            let kept = samples.filter { $0.isFinite && Double($0) > lower && Double($0) < upper }
            guard kept.count > 16 else { break }
            let stats = kept.withUnsafeBufferPointer { RobustStatistics.compute($0) }
            let next = biweightMidvariance(samples, median: stats.median, mad: stats.mad, lower: lower, upper: upper).squareRoot()
            let settled = abs(next - scale) <= 1e-6 * scale && abs(stats.median - location) <= 1e-6 * scale
            (location, scale) = (stats.median, next)
            if settled { break }
        }
        return (location, scale)
    }

    /// Gaussian noise σ (PixInsight's "k-sigma" estimate; `WaveletNoise`).
    public static func waveletNoise(_ samples: UnsafeBufferPointer<Float>, width: Int, height: Int) -> Double {
        WaveletNoise.sigma(samples, width: width, height: height)
    }
}
