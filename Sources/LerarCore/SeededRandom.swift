import Foundation

/// Deterministic random numbers (SplitMix64) so a seed reproduces a session exactly on every platform.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0,1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal deviate (Box–Muller).
    public mutating func gaussian() -> Double {
        let u1 = max(uniform(), .leastNonzeroMagnitude), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}

extension SeededRandom {
    /// Generator for one item of a session (a frame, a catalogue), independent of the order items are made in.
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SeededRandom(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        self.init(seed: mixer.next())
    }

    /// Poisson deviate: exact (Knuth) below λ = 30, Gaussian approximation above.
    public mutating func poisson(_ mean: Double) -> Double {
        guard mean > 0 else { return 0 }
        if mean >= 30 { return max(0, (mean + mean.squareRoot() * gaussian()).rounded()) }
        let limit = exp(-mean)
        var product = uniform(), count = 0.0
        while product > limit { product *= uniform(); count += 1 }
        return count
    }

    /// Uniform in a closed range.
    public mutating func uniform(in range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform()
    }
}
