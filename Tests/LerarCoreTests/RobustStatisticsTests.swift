import Foundation
import Testing
@testable import LerarCore

/// Reference values by sorting, to check the selection-based implementation against.
private func sortedPercentile(_ values: [Float], _ p: Double) -> Double {
    let sorted = values.sorted()
    let position = p * Double(sorted.count - 1)
    let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
    let weight = position - Double(low)
    return Double(sorted[low]) + weight * (Double(sorted[high]) - Double(sorted[low]))
}

private func randomValues(_ count: Int, seed: UInt64, quantised: Bool = false) -> [Float] {
    var generator = SeedGenerator(seed: seed)
    return (0..<count).map { _ in
        let value = Float.random(in: 0..<1, using: &generator) * Float.random(in: 0..<1, using: &generator)
        return quantised ? (value * 65535).rounded() / 65535 : value
    }
}

struct SeedGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct RobustStatisticsTests {
    @Test(arguments: [1, 2, 3, 10, 1_001, 70_000, 300_001])
    func medianAndPercentilesMatchSorting(count: Int) {
        let values = randomValues(count, seed: UInt64(count))
        values.withUnsafeBufferPointer { buffer in
            #expect(RobustStatistics.median(buffer) == sortedPercentile(values, 0.5))
            let fractions = [0, 0.01, 0.25, 0.75, 0.999, 1]
            let got = RobustStatistics.percentiles(fractions, of: buffer)
            for (fraction, value) in zip(fractions, got) {
                #expect(abs(value - sortedPercentile(values, fraction)) <= 1e-7, "p=\(fraction)")
            }
        }
    }

    @Test func heavilyTiedSixteenBitDataNeedsNoSort() {
        // 2 M samples on a few ADU levels: the histogram bins collapse to single values.
        let values = randomValues(2_000_000, seed: 7, quantised: true).map { ($0 * 40).rounded() / 65535 }
        values.withUnsafeBufferPointer { buffer in
            let stats = RobustStatistics.compute(buffer)
            #expect(stats.median == sortedPercentile(values, 0.5))
            let deviations = values.map { abs($0 - Float(stats.median)) }
            #expect(abs(stats.mad - sortedPercentile(deviations, 0.5)) < 1e-9)
        }
    }

    @Test func summaryStatisticsAreExact() {
        let values: [Float] = [1, 2, 3, 4, 100]
        let stats = values.withUnsafeBufferPointer { RobustStatistics.compute($0) }
        #expect(stats.count == 5)
        #expect(stats.mean == 22)
        #expect(stats.median == 3)
        #expect(stats.mad == 1) // deviations 2,1,0,1,97
        #expect(abs(stats.sigmaMAD - 1.4826) < 1e-4)
        #expect(stats.minimum == 1 && stats.maximum == 100)
        #expect(abs(stats.standardDeviation - 43.6176) < 1e-3)
    }

    @Test func nanAwareSkipsNoDataAndPlainVariantPropagates() {
        var values = randomValues(10_000, seed: 3)
        let clean = values
        for i in stride(from: 0, to: values.count, by: 7) { values[i] = .nan }
        values[5] = .infinity
        let kept = values.filter(\.isFinite)
        let aware = values.withUnsafeBufferPointer { RobustStatistics.compute($0) }
        #expect(aware.count == kept.count)
        #expect(aware.skippedCount == values.count - kept.count)
        #expect(aware.median == sortedPercentile(kept, 0.5))
        #expect(abs(aware.mean - kept.reduce(0.0) { $0 + Double($1) } / Double(kept.count)) < 1e-9)
        let plain = values.withUnsafeBufferPointer { RobustStatistics.compute($0, options: .init(ignoreNaN: false)) }
        #expect(plain.median.isNaN && plain.mean.isNaN)
        let noNaN = clean.withUnsafeBufferPointer { RobustStatistics.compute($0, options: .init(ignoreNaN: false)) }
        #expect(noNaN.median == sortedPercentile(clean, 0.5))
    }

    @Test func zerosCanBeTreatedAsNoData() {
        let values: [Float] = [0, 0, 0, 5, 6, 7]
        let stats = values.withUnsafeBufferPointer { RobustStatistics.compute($0, options: .init(ignoreZero: true)) }
        #expect(stats.count == 3 && stats.skippedCount == 3 && stats.median == 6)
    }

    @Test func emptyAndConstantInputs() {
        let empty: [Float] = [.nan, .nan]
        let none = empty.withUnsafeBufferPointer { RobustStatistics.compute($0) }
        #expect(none.count == 0 && none.median.isNaN)
        let constant = [Float](repeating: 0.25, count: 100_000)
        let stats = constant.withUnsafeBufferPointer { RobustStatistics.compute($0) }
        #expect(stats.median == 0.25 && stats.mad == 0 && stats.standardDeviation == 0)
    }

    @Test func imageStatisticsPerChannel() {
        var image = Image(width: 4, height: 2, colorSpace: .rgb)
        for channel in 0..<3 { image.withMutableChannel(channel) { plane in for i in 0..<plane.count { plane[i] = Float(channel * 10 + i) } } }
        let stats = image.statistics()
        #expect(stats.map(\.median) == [3.5, 13.5, 23.5])
    }

    @Test func quickSelectFindsEveryRank() {
        let values = randomValues(257, seed: 11)
        let sorted = values.sorted()
        for k in [0, 1, 128, 255, 256] {
            var copy = values
            #expect(QuickSelect.kthSmallest(&copy, k) == sorted[k])
            if k < 256 { #expect(QuickSelect.kthSmallest(&copy, k + 1, sortedBelow: k) == sorted[k + 1]) }
        }
    }

    /// The parallel selection median is the one a quickselect gives, bit for bit: odd and even counts, ties,
    /// non-finite samples left out, sizes on both sides of the selection's gather limit.
    @Test(arguments: [1, 2, 3, 1_000, 70_001, 300_000])
    func selectMedianEqualsQuickSelect(count: Int) {
        var values = randomValues(count, seed: UInt64(count))
        for i in stride(from: 0, to: values.count, by: 5) { values[i] = (values[i] * 64).rounded() / 64 }   // ties
        if count > 3 { values[1] = .nan; values[2] = .infinity }
        var finite = values.filter(\.isFinite)
        let n = finite.count, upper = QuickSelect.kthSmallest(&finite, n / 2)
        let expected = n % 2 == 1 ? upper : (finite[0..<(n / 2)].max()! + upper) / 2
        let median = values.withUnsafeBufferPointer { RobustStatistics.selectMedian($0) }
        #expect(median.bitPattern == expected.bitPattern, "\(count) values: \(median) against \(expected)")
    }
}
