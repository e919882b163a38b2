import Testing
@testable import LerarCore
@testable import LerarRegistration

/// The sort-once clipped median against the selection it replaced, and the radix sort against `sort()`.
@Suite struct ClippedMedianTests {
    /// The former implementation: three rounds of select median, select MAD, remove beyond 3σ.
    static func selectionClippedMedian(_ input: [Float]) -> Double {
        var values = input
        guard values.count >= 16 else { return .nan }
        for _ in 0..<3 {
            let median = BackgroundGrid.selectMedian(&values)
            var deviations = values.map { abs($0 - median) }
            let sigma = 1.4826 * BackgroundGrid.selectMedian(&deviations)
            guard sigma > 0 else { return Double(median) }
            let low = median - 3 * sigma, high = median + 3 * sigma
            let before = values.count
            values.removeAll { $0 < low || $0 > high }
            if values.count == before || values.count < 16 { return Double(median) }
        }
        return Double(BackgroundGrid.selectMedian(&values))
    }

    struct Generator {
        var state: UInt64
        mutating func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Double(state >> 11) + 0.5) / Double(1 << 53)
        }
    }

    /// Sky cells as the grid sees them: noise, stars (a bright tail), gradients, negative values after background
    /// subtraction, 16-bit quantization (ties, MAD 0), constant cells, odd and even counts.
    @Test func equalsTheSelectionItReplaces() {
        var generator = Generator(state: 7)
        for trial in 0..<600 {
            let count = 16 + Int(generator.uniform() * 5000)
            let kind = trial % 6
            let values = (0..<count).map { i -> Float in
                let noise = Float(generator.uniform() + generator.uniform() + generator.uniform() - 1.5) * 0.01
                switch kind {
                case 0: return 0.1 + noise
                case 1: return 0.1 + noise + (generator.uniform() < 0.1 ? Float(generator.uniform()) : 0) // stars
                case 2: return noise - 0.001 * Float(i % 64) // around zero, with a gradient
                case 3: return (Float(0.1 + noise) * 65535).rounded() / 65535 // quantized
                case 4: return 0.25
                default: return -0.2 + noise * 10
                }
            }
            var sorted = values
            let result = BackgroundGrid.clippedMedian(&sorted)
            #expect(result.bitPattern == Self.selectionClippedMedian(values).bitPattern, "trial \(trial), kind \(kind), \(count) samples")
            #expect(sorted == values.sorted())
        }
        var short: [Float] = [1, 2, 3]
        #expect(BackgroundGrid.clippedMedian(&short).isNaN)
    }

    @Test func radixSortOrdersLikeSort() {
        var generator = Generator(state: 11)
        for count in [0, 1, 2, 3, 17, 256, 4099] {
            var values = (0..<count).map { i -> Float in
                switch i % 5 {
                case 0: return Float(generator.uniform() - 0.5) * 1e6
                case 1: return -0.0
                case 2: return 0
                case 3: return i % 2 == 0 ? .infinity : -.infinity
                default: return Float(generator.uniform()) * 1e-30
                }
            }
            let expected = values.sorted()
            RadixSort.sort(&values)
            #expect(values.map(\.bitPattern) == expected.map(\.bitPattern) || values == expected, "\(count) values")
            #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 })
        }
    }
}
