import Foundation

/// Pixel rejection on one sorted stack. Every algorithm rejects from the ends of the sorted samples and returns the
/// kept index range (PixInsight's algorithms, shared/reference/integration.md §4; notes where we simplify).
struct StackRejection {
    let parameters: IntegrationParameters
    let algorithm: IntegrationParameters.Rejection
    /// Generalized ESD critical values λ_i for each stack size n (index n), precomputed.
    let esdCritical: [[Double]]

    init(parameters: IntegrationParameters, frameCount: Int) {
        self.parameters = parameters
        algorithm = parameters.rejection.resolved(frameCount: frameCount, localNormalization: parameters.normalization == .local)
        esdCritical = algorithm == .esd ? (0...frameCount).map { Self.esdTable(n: $0, fraction: parameters.esdOutliersFraction, alpha: parameters.esdAlpha) } : []
    }

    /// Kept range of the sorted samples `x[0..<n]`; `scratch` holds at least 2n Doubles (no allocation per pixel).
    func reject(_ x: UnsafeMutablePointer<Float>, _ n: Int, scratch: UnsafeMutablePointer<Double>) -> Range<Int> {
        switch algorithm {
        case .none, .auto: return 0..<n
        case .minMax: return minMax(n)
        case .percentile: return percentile(x, n)
        case .sigma: return sigmaClip(x, n)
        case .winsorized: return winsorized(x, n, scratch)
        case .averagedSigma: return averagedSigma(x, n)
        case .linearFit: return linearFit(x, n, scratch)
        case .esd: return esd(x, n)
        }
    }

    func minMax(_ n: Int) -> Range<Int> {
        guard n >= 1 else { return 0..<n }
        var lo = parameters.clipLow ? min(parameters.minMaxLow, n - 1) : 0
        let hi = parameters.clipHigh ? max(lo + 1, n - parameters.minMaxHigh) : n
        if lo >= hi { lo = hi - 1 }
        return lo..<hi
    }

    static func median(_ x: UnsafeMutablePointer<Float>, _ range: Range<Int>) -> Double {
        let count = range.count, middle = range.lowerBound + count / 2
        return count % 2 == 1 ? Double(x[middle]) : (Double(x[middle - 1]) + Double(x[middle])) / 2
    }

    /// Median of |x − centre| over a sorted range, without sorting: deviations grow outward from the centre, so
    /// two pointers walking out from it visit them in increasing order.
    static func medianDeviation(_ x: UnsafeMutablePointer<Float>, _ range: Range<Int>, from centre: Double) -> Double {
        let m = range.count
        var right = range.lowerBound
        while right < range.upperBound && Double(x[right]) < centre { right += 1 }
        var left = right - 1
        var previous = 0.0, current = 0.0
        for step in 0...(m / 2) {
            let leftDeviation = left >= range.lowerBound ? centre - Double(x[left]) : .infinity
            let rightDeviation = right < range.upperBound ? Double(x[right]) - centre : .infinity
            previous = current
            if leftDeviation <= rightDeviation { current = leftDeviation; left -= 1 } else { current = rightDeviation; right += 1 }
            if step == m / 2 { break }
        }
        return m % 2 == 1 ? current : (previous + current) / 2
    }

    static func meanAndSigma(_ x: UnsafeMutablePointer<Float>, _ range: Range<Int>) -> (Double, Double) {
        var sum = 0.0
        for i in range { sum += Double(x[i]) }
        let mean = sum / Double(range.count)
        var squares = 0.0
        for i in range { let d = Double(x[i]) - mean; squares += d * d }
        return (mean, range.count > 1 ? (squares / Double(range.count - 1)).squareRoot() : 0)
    }

    /// Rejects from both ends while the deviation from `centre` in units of `sigmaLow`/`sigmaHigh` exceeds the limits.
    func clipEnds(_ x: UnsafeMutablePointer<Float>, _ range: Range<Int>, centre: Double, low: Double, high: Double, limits: (Double, Double)) -> Range<Int> {
        var lo = range.lowerBound, hi = range.upperBound
        if parameters.clipLow && low > 0 { while hi - lo > 1 && (centre - Double(x[lo])) / low > limits.0 { lo += 1 } }
        if parameters.clipHigh && high > 0 { while hi - lo > 1 && (Double(x[hi - 1]) - centre) / high > limits.1 { hi -= 1 } }
        return lo..<hi
    }

    func percentile(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> Range<Int> {
        guard n >= 2 else { return 0..<n }
        let m = Self.median(x, 0..<n)
        guard abs(m) > 1e-12 else { return 0..<n }
        return clipEnds(x, 0..<n, centre: m, low: abs(m), high: abs(m), limits: (parameters.percentileLow, parameters.percentileHigh))
    }

    func sigmaClip(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> Range<Int> {
        var kept = 0..<n
        while kept.count >= 3 {
            let (_, sigma) = Self.meanAndSigma(x, kept)
            guard 1 + sigma != 1 else { break }
            let next = clipEnds(x, kept, centre: Self.median(x, kept), low: sigma, high: sigma, limits: (parameters.sigmaLow, parameters.sigmaHigh))
            if next == kept { break }
            kept = next
        }
        return kept
    }

    /// Winsorized sigma clipping. Each pass winsorizes the kept samples at mean ± 1.5σ (in the first round, samples
    /// beyond median ± cutoff·σ are first replaced by the median), then σ = 1.134 × the winsorized standard deviation,
    /// until σ settles; then the ends are clipped around the winsorized mean. Because the samples are sorted, every pass
    /// costs two binary searches over prefix sums instead of a sweep. The initial σ is 1.4826·MAD (PixInsight starts
    /// from 1.1926·Sn; both are robust normal-consistent scales, MAD needs no extra sort).
    /// `laterRoundsFrom`: the range the first round kept (it clipped both ends differently), to run the later rounds
    /// only (the 8-pixel kernel ran the first).
    func winsorized(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ scratch: UnsafeMutablePointer<Double>,
                    laterRoundsFrom start: Range<Int>? = nil) -> Range<Int> {
        var kept = start ?? 0..<n
        let sums = scratch, squares = scratch + n + 1
        var firstRound = start == nil
        while kept.count >= 3 {
            let m = kept.count
            let median = Self.median(x, kept)
            var sigma = 1.4826 * Self.medianDeviation(x, kept, from: median)
            if 1 + sigma == 1 {
                sigma = Self.meanAndSigma(x, kept).1
                guard 1 + sigma != 1 else { break }
            }
            // Samples replaced by the median (first round only): a low prefix and a high suffix of the sorted range.
            var middle = kept
            if firstRound {
                let cut = parameters.winsorizationCutoff * sigma
                while middle.count > 1 && median - Double(x[middle.lowerBound]) > cut { middle = (middle.lowerBound + 1)..<middle.upperBound }
                while middle.count > 1 && Double(x[middle.upperBound - 1]) - median > cut { middle = middle.lowerBound..<(middle.upperBound - 1) }
            }
            let replaced = Double(m - middle.count)
            sums[0] = 0
            squares[0] = 0
            var runningSum = 0.0, runningSquares = 0.0 // in registers: a chain through memory stalls on store forwarding
            for (j, i) in middle.enumerated() {
                let v = Double(x[i])
                runningSum += v
                runningSquares += v * v
                sums[j + 1] = runningSum
                squares[j + 1] = runningSquares
            }
            // Indices of the first middle samples ≥ t0 and > t1; they move little from pass to pass, so walk them.
            let base = middle.lowerBound, count = middle.count
            var a = 0, b = count
            var mean = median
            let inverseCount = 1 / Double(m), inverseDegrees = 1 / Double(m - 1) // multiply, not divide, in the loop
            for pass in 0..<50 {
                let t0 = mean - 1.5 * sigma, t1 = mean + 1.5 * sigma
                while a < count && Double(x[base + a]) < t0 { a += 1 }
                while a > 0 && Double(x[base + a - 1]) >= t0 { a -= 1 }
                while b > 0 && Double(x[base + b - 1]) > t1 { b -= 1 }
                while b < count && Double(x[base + b]) <= t1 { b += 1 }
                b = max(a, b)
                let below = Double(a), above = Double(middle.count - b)
                let clampedMedian = min(max(median, t0), t1)
                let total = below * t0 + (sums[b] - sums[a]) + above * t1 + replaced * clampedMedian
                let totalSquares = below * t0 * t0 + (squares[b] - squares[a]) + above * t1 * t1 + replaced * clampedMedian * clampedMedian
                mean = total * inverseCount
                let previous = sigma
                sigma = 1.134 * (max(0, totalSquares - total * mean) * inverseDegrees).squareRoot()
                guard 1 + sigma != 1 else { break }
                if pass >= 1 && abs(sigma - previous) <= 0.0005 * previous { break }
            }
            firstRound = false
            guard 1 + sigma != 1 else { break }
            let next = clipEnds(x, kept, centre: mean, low: sigma, high: sigma, limits: (parameters.sigmaLow, parameters.sigmaHigh))
            if next == kept { break }
            kept = next
        }
        return kept
    }

    func averagedSigma(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> Range<Int> {
        guard n >= 3 else { return 0..<n }
        var kept = 0..<n
        var m = Self.median(x, kept)
        guard m > 0 else { return kept }
        var sum = 0.0
        for i in kept { let d = Double(x[i]) - m; sum += d * d / m }
        let s = (sum / Double(n - 1)).squareRoot()
        while kept.count >= 3 {
            let sigma = s * m.squareRoot()
            guard 1 + sigma != 1 else { break }
            let next = clipEnds(x, kept, centre: m, low: sigma, high: sigma, limits: (parameters.sigmaLow, parameters.sigmaHigh))
            if next == kept { break }
            kept = next
            m = Self.median(x, kept)
            guard m > 0 else { break }
        }
        return kept
    }

    /// Linear fit clipping: a least-absolute-deviation line through the sorted samples against their rank
    /// (PixInsight fits the same way); s = 2·(mean absolute residual)·√(1+b²); ends beyond the tolerances are rejected.
    func linearFit(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ scratch: UnsafeMutablePointer<Double>) -> Range<Int> {
        guard n >= 5 else { return 0..<n }
        var kept = 0..<n
        while kept.count >= 3 {
            let (a, b, adev) = Self.absoluteDeviationFit(x, kept, weights: scratch)
            let s = 2 * adev * (1 + b * b).squareRoot()
            guard 1 + s != 1 else { break }
            var lo = kept.lowerBound, hi = kept.upperBound
            func line(_ i: Int) -> Double { a + b * Double(i - kept.lowerBound) }
            if parameters.clipLow { while hi - lo > 1 && (line(lo) - Double(x[lo])) / s >= parameters.linearFitLow { lo += 1 } }
            if parameters.clipHigh { while hi - lo > 1 && (Double(x[hi - 1]) - line(hi - 1)) / s >= parameters.linearFitHigh { hi -= 1 } }
            if lo..<hi == kept { break }
            kept = lo..<hi
        }
        return kept
    }

    /// y = a + b·j minimising Σ|residual| by iteratively reweighted least squares; returns (a, b, mean |residual|).
    static func absoluteDeviationFit(_ x: UnsafeMutablePointer<Float>, _ range: Range<Int>, weights: UnsafeMutablePointer<Double>) -> (Double, Double, Double) {
        let n = range.count
        weights.update(repeating: 1, count: n)
        var a = 0.0, b = 0.0
        for _ in 0..<8 {
            var sw = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
            for j in 0..<n {
                let w = weights[j], y = Double(x[range.lowerBound + j]), t = Double(j)
                sw += w; sx += w * t; sy += w * y; sxx += w * t * t; sxy += w * t * y
            }
            let determinant = sw * sxx - sx * sx
            guard abs(determinant) > 1e-300 else { break }
            b = (sw * sxy - sx * sy) / determinant
            a = (sy - b * sx) / sw
            for j in 0..<n { weights[j] = 1 / max(abs(Double(x[range.lowerBound + j]) - a - b * Double(j)), 1e-9) }
        }
        var adev = 0.0
        for j in 0..<n { adev += abs(Double(x[range.lowerBound + j]) - a - b * Double(j)) }
        return (a, b, adev / Double(n))
    }

    /// Generalized ESD (Rosner), with PixInsight's trimmed-mean centre and low-side relaxation.
    func esd(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> Range<Int> {
        guard n >= 3, n < esdCritical.count else { return 0..<n }
        let f = parameters.esdOutliersFraction, relax = parameters.esdLowRelaxation
        let k = min(max(Int(f * Double(n)), 1), n - 2)
        var lo = 0, hi = n
        var removedLow: [Bool] = []
        var statistics: [Double] = []
        for i in 0..<k {
            let th = max(1, Int(f * Double(n)) - i), tl = max(1, Int(f / relax * Double(n)) - i)
            let centre: Double
            if hi - lo - th - tl >= 1 {
                var sum = 0.0
                for j in (lo + tl)..<(hi - th) { sum += Double(x[j]) }
                centre = sum / Double(hi - lo - th - tl)
            } else {
                centre = Self.median(x, lo..<hi)
            }
            var squares = 0.0
            for j in lo..<hi { let d = Double(x[j]) - centre; squares += d * d }
            let sigmaHigh = (squares / Double(hi - lo - 1)).squareRoot(), sigmaLow = relax * sigmaHigh
            guard 1 + sigmaHigh != 1 else { break }
            let high = (Double(x[hi - 1]) - centre) / sigmaHigh, low = (centre - Double(x[lo])) / sigmaLow
            if high >= low { statistics.append(high); removedLow.append(false); hi -= 1 } else { statistics.append(low); removedLow.append(true); lo += 1 }
        }
        // Outliers: the removals before the first statistic under its critical value.
        var outliers = 0
        while outliers < statistics.count && statistics[outliers] >= esdCritical[n][outliers] { outliers += 1 }
        var keptLow = 0, keptHigh = n
        for j in 0..<outliers {
            if removedLow[j] { if parameters.clipLow { keptLow += 1 } } else if parameters.clipHigh { keptHigh -= 1 }
        }
        // Only end runs can be dropped from a sorted range: a skipped low removal keeps everything below it.
        if !parameters.clipLow { keptLow = 0 }
        return keptLow..<max(keptLow + 1, keptHigh)
    }

    /// λ_i = t·(n−i−1)/√((n−i−2+t²)(n−i)), t the Student-t quantile at 1 − α/(2(n−i)) with n−i−2 degrees of freedom.
    static func esdTable(n: Int, fraction: Double, alpha: Double) -> [Double] {
        guard n >= 3 else { return [] }
        let k = min(max(Int(fraction * Double(n)), 1), n - 2)
        return (0..<k).map { i in
            let remaining = Double(n - i)
            let dof = remaining - 2
            guard dof >= 1 else { return .infinity }
            let t = StudentT.quantile(1 - alpha / (2 * remaining), degreesOfFreedom: dof)
            return t * (remaining - 1) / ((dof + t * t) * remaining).squareRoot()
        }
    }
}
