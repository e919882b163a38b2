import Foundation
import Testing
@testable import LerarCore

/// The trimmed mean by sorting and slicing (what `LightCalibrator` did before it used order statistics).
private func sortedTrimmedMean(_ values: [Float], cut: Double) -> Double {
    let sorted = values.filter(\.isFinite).sorted()
    let dropped = Int((Double(sorted.count) * cut).rounded(.down))
    let kept = sorted[dropped..<max(dropped + 1, sorted.count - dropped)]
    return kept.reduce(0.0) { $0 + Double($1) } / Double(kept.count)
}

@Suite struct TrimmedMeanTests {
    @Test(arguments: [1, 2, 19, 20, 21, 40, 1_001, 100_000])
    func equalsTheSortedSlice(count: Int) {
        // Quantised values: many ties at the cut points, and NaN and ±∞ among them.
        var generator = SeededRandom(seed: UInt64(count))
        let values: [Float] = (0..<count).map { i in
            if i % 97 == 5 { return .nan }
            if i % 211 == 7 { return i % 2 == 0 ? .infinity : -.infinity }
            return Float(Int(generator.next() % 50)) / 50
        }
        let trimmed = values.withUnsafeBufferPointer { RobustStatistics.trimmedMean($0, cut: 0.05) }
        let expected = sortedTrimmedMean(values, cut: 0.05)
        #expect(abs(trimmed - expected) <= 1e-12 * max(1, abs(expected)), "n = \(count): \(trimmed) vs \(expected)")
    }

    @Test func constantAndEmpty() {
        let constant = [Float](repeating: 0.25, count: 1_000)
        #expect(constant.withUnsafeBufferPointer { RobustStatistics.trimmedMean($0, cut: 0.05) } == 0.25)
        let empty: [Float] = [.nan, .nan]
        #expect(empty.withUnsafeBufferPointer { RobustStatistics.trimmedMean($0, cut: 0.05) }.isNaN)
    }

    @Test func dropsTheOutliers() {
        // 5 % hot and 5 % dead samples around a level of 0.4: the trimmed mean is the level.
        let values: [Float] = (0..<10_000).map { i in i % 20 == 0 ? 1 : (i % 20 == 1 ? 0 : 0.4) }
        #expect(abs(values.withUnsafeBufferPointer { RobustStatistics.trimmedMean($0, cut: 0.05) } - 0.4) < 1e-7)
    }
}
