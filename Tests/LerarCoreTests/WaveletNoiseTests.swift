import Foundation
import Testing
@testable import LerarCore

/// The wavelet noise estimate made with a ring of smoothed rows equals the straightforward two-image one bit for
/// bit, whole and sampled by bands, and reads the σ of white noise.
@Suite struct WaveletNoiseTests {
    /// The first à trous layer made with a whole smoothed copy, as the estimate was made before the ring.
    static func twoImageLayer(_ samples: [Float], width: Int, height: Int) -> [Float] {
        let kernel: [Float] = [1.0 / 16, 4.0 / 16, 6.0 / 16, 4.0 / 16, 1.0 / 16]
        func clamp(_ v: Int, _ n: Int) -> Int { v < 0 ? -v : (v >= n ? 2 * n - 2 - v : v) }
        var rows = [Float](repeating: 0, count: width * height), layer = rows
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0
                for k in -2...2 { sum += kernel[k + 2] * samples[y * width + clamp(x + k, width)] }
                rows[y * width + x] = sum
            }
        }
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0
                for k in -2...2 { sum += kernel[k + 2] * rows[clamp(y + k, height) * width + x] }
                layer[y * width + x] = samples[y * width + x] - sum
            }
        }
        return layer
    }

    static func clippedSigma(_ layer: [Float]) -> Double {
        var sigma = WaveletNoise.standardDeviation(layer, below: .infinity)?.sigma ?? .nan
        for _ in 0..<10 {
            guard let (next, kept) = WaveletNoise.standardDeviation(layer, below: Float(3 * sigma)), kept > 16 else { break }
            if abs(next - sigma) <= 0.01 * sigma { sigma = next; break }
            sigma = next
        }
        return sigma / 0.8907
    }

    static func noisyGradient(width: Int, height: Int, sigma: Double, seed: UInt64) -> [Float] {
        var random = SeededRandom(seed: seed)
        return (0..<(width * height)).map { i in Float(0.1 + 0.05 * Double(i % width) / Double(width) + sigma * random.gaussian()) }
    }

    @Test func wholeImageEqualsTheTwoImageLayerAndReadsTheNoise() {
        for (width, height) in [(97, 61), (5, 5), (64, 7), (131, 700)] {   // 700 rows: bands made in parallel
            let samples = Self.noisyGradient(width: width, height: height, sigma: 0.01, seed: UInt64(width))
            let ring = samples.withUnsafeBufferPointer { WaveletNoise.sigma($0, width: width, height: height) }
            #expect(ring == Self.clippedSigma(Self.twoImageLayer(samples, width: width, height: height)), "\(width)×\(height)")
        }
        let samples = Self.noisyGradient(width: 256, height: 256, sigma: 0.01, seed: 9)
        let sigma = samples.withUnsafeBufferPointer { WaveletNoise.sigma($0, width: 256, height: 256) }
        #expect(abs(sigma / 0.01 - 1) < 0.03, "σ \(sigma) for white noise of 0.01")
    }

    @Test func sampledBandsEqualTheirCopyStackedUnderEachOther() {
        let width = 300, height = 1100, bands = 8, bandHeight = 64
        let samples = Self.noisyGradient(width: width, height: height, sigma: 0.02, seed: 4)
        var stacked: [Float] = []
        for band in 0..<bands {
            let y0 = (band * height) / bands + (height / bands - bandHeight) / 2
            stacked.append(contentsOf: samples[(y0 * width)..<((y0 + bandHeight) * width)])
        }
        let sampled = samples.withUnsafeBufferPointer { WaveletNoise.sampledSigma($0, width: width, height: height, bands: bands) }
        #expect(sampled == Self.clippedSigma(Self.twoImageLayer(stacked, width: width, height: bands * bandHeight)))
        #expect(abs(sampled / 0.02 - 1) < 0.03, "σ \(sampled)")
    }
}
