/// Robust statistics of sample buffers: mean, standard deviation, median, MAD, extremes and percentiles,
/// computed in parallel and without sorting (see `OrderStatistics`).
public enum RobustStatistics {
    /// All statistics of one buffer.
    public static func compute(_ samples: UnsafeBufferPointer<Float>, options: StatisticsOptions = .init()) -> ChannelStatistics {
        options.ignoreZero ? compute(samples, options: options, filter: FiniteNonZeroSamples.self)
                           : compute(samples, options: options, filter: FiniteSamples.self)
    }

    /// Median (mean of the two central samples for an even count); NaN when no sample is usable.
    public static func median(_ samples: UnsafeBufferPointer<Float>, options: StatisticsOptions = .init()) -> Double {
        percentiles([0.5], of: samples, options: options)[0]
    }

    /// Percentiles for fractions `p` in [0,1], linearly interpolated between order statistics
    /// (rank p·(n−1), "type 7"); NaN when no sample is usable.
    public static func percentiles(_ fractions: [Double], of samples: UnsafeBufferPointer<Float>, options: StatisticsOptions = .init()) -> [Double] {
        options.ignoreZero ? percentiles(fractions, of: samples, options: options, filter: FiniteNonZeroSamples.self)
                           : percentiles(fractions, of: samples, options: options, filter: FiniteSamples.self)
    }

    /// Median absolute deviation from `center`.
    public static func mad(_ samples: UnsafeBufferPointer<Float>, about center: Double, options: StatisticsOptions = .init()) -> Double {
        options.ignoreZero ? mad(samples, about: center, filter: FiniteNonZeroSamples.self)
                           : mad(samples, about: center, filter: FiniteSamples.self)
    }

    /// Median of the finite samples as a selection gives it: the central sample, or for an even count the two
    /// central samples averaged in Float (`QuickSelect`'s median, bit for bit), found by parallel histogram passes
    /// rather than one thread's quickselect; NaN when no sample is finite.
    public static func selectMedian(_ samples: UnsafeBufferPointer<Float>) -> Float {
        let m = moments(samples, filter: FiniteSamples.self)
        guard m.count > 0 else { return .nan }
        if m.count % 2 == 1 {
            return OrderStatistics.select(samples, rank: m.count / 2, count: m.count, lower: m.minimum, upper: m.maximum, filter: FiniteSamples.self).0
        }
        let (lower, upper) = OrderStatistics.select(samples, rank: m.count / 2 - 1, count: m.count, lower: m.minimum, upper: m.maximum, filter: FiniteSamples.self)
        return (lower + upper) / 2
    }

    // MARK: - Implementation

    struct Moments: Sendable {
        var count = 0, nonFinite = 0, zeros = 0
        var sum = 0.0, sumOfSquares = 0.0
        var minimum = Float.infinity, maximum = -Float.infinity
    }

    static func moments<Filter: SampleFilter>(_ samples: UnsafeBufferPointer<Float>, filter: Filter.Type) -> Moments {
        let shared = UnsafeSendable(samples)
        let parts = Parallel.mapChunks(count: samples.count, minimumChunkSize: 1 << 16) { range -> Moments in
            var m = Moments()
            for i in range {
                let x = shared.value[i]
                if Filter.accepts(x) {
                    m.count += 1
                    let value = Double(x)
                    m.sum += value
                    m.sumOfSquares += value * value
                    m.minimum = min(m.minimum, x)
                    m.maximum = max(m.maximum, x)
                } else if !x.isFinite {
                    m.nonFinite += 1
                } else {
                    m.zeros += 1
                }
            }
            return m
        }
        return parts.reduce(into: Moments()) { total, part in
            total.count += part.count
            total.nonFinite += part.nonFinite
            total.zeros += part.zeros
            total.sum += part.sum
            total.sumOfSquares += part.sumOfSquares
            total.minimum = min(total.minimum, part.minimum)
            total.maximum = max(total.maximum, part.maximum)
        }
    }

    static func compute<Filter: SampleFilter>(_ samples: UnsafeBufferPointer<Float>, options: StatisticsOptions, filter: Filter.Type) -> ChannelStatistics {
        let m = moments(samples, filter: filter)
        let skipped = m.nonFinite + m.zeros
        if m.count == 0 || (!options.ignoreNaN && m.nonFinite > 0) { return .empty(count: m.count, skipped: skipped) }
        let mean = m.sum / Double(m.count)
        let variance = m.count > 1 ? max(0, (m.sumOfSquares - m.sum * mean) / Double(m.count - 1)) : 0
        let median = interpolatedPercentile(0.5, samples, moments: m, filter: filter)
        return ChannelStatistics(count: m.count, skippedCount: skipped, mean: mean, standardDeviation: variance.squareRoot(),
                                 median: median, mad: mad(samples, about: median, filter: filter),
                                 minimum: Double(m.minimum), maximum: Double(m.maximum))
    }

    static func percentiles<Filter: SampleFilter>(_ fractions: [Double], of samples: UnsafeBufferPointer<Float>, options: StatisticsOptions, filter: Filter.Type) -> [Double] {
        let m = moments(samples, filter: filter)
        if m.count == 0 || (!options.ignoreNaN && m.nonFinite > 0) { return fractions.map { _ in .nan } }
        return fractions.map { interpolatedPercentile($0, samples, moments: m, filter: filter) }
    }

    static func interpolatedPercentile<Filter: SampleFilter>(_ fraction: Double, _ samples: UnsafeBufferPointer<Float>, moments m: Moments, filter: Filter.Type) -> Double {
        precondition(fraction >= 0 && fraction <= 1, "percentile fraction \(fraction) outside [0,1]")
        let position = fraction * Double(m.count - 1)
        let rank = Int(position.rounded(.down))
        let (value, next) = OrderStatistics.select(samples, rank: rank, count: m.count, lower: m.minimum, upper: m.maximum, filter: filter)
        let weight = position - Double(rank)
        return weight == 0 ? Double(value) : Double(value) + weight * (Double(next) - Double(value))
    }

    static func mad<Filter: SampleFilter>(_ samples: UnsafeBufferPointer<Float>, about center: Double, filter: Filter.Type) -> Double {
        let shared = UnsafeSendable(samples)
        let centre = Float(center)
        // Deviations of accepted samples, compacted per chunk so the selection below needs no filter.
        let parts = Parallel.mapChunks(count: samples.count, minimumChunkSize: 1 << 16) { range -> [Float] in
            var part = [Float]()
            part.reserveCapacity(range.count)
            for i in range { let x = shared.value[i]; if Filter.accepts(x) { part.append(abs(x - centre)) } }
            return part
        }
        var deviations = [Float]()
        deviations.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts { deviations.append(contentsOf: part) }
        guard !deviations.isEmpty else { return .nan }
        return deviations.withUnsafeBufferPointer { buffer in
            let m = moments(buffer, filter: FiniteSamples.self)
            return interpolatedPercentile(0.5, buffer, moments: m, filter: FiniteSamples.self)
        }
    }
}
