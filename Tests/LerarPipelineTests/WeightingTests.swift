import Foundation
import LerarCore
@testable import LerarPipeline
import LerarSimulator
import Testing

/// The default frame weights against the simulator's truth: they rank frames as their true SNR does, and the default
/// stack is not noisier than one weighted by measured noise alone.
@Suite(.serialized) struct WeightingTests {
    /// Lanczos-3 weights (normalised to sum 1) of the six taps around a source position with fractional part `f`.
    static func lanczosTaps(_ f: Double) -> [Double] {
        let taps = (-2...3).map { k -> Double in
            let x = abs(Double(k) - f)
            if x < 1e-9 { return 1 }
            guard x < 3 else { return 0 }
            return 3 * sin(.pi * x) * sin(.pi * x / 3) / (.pi * .pi * x * x)
        }
        let sum = taps.reduce(0, +)
        return taps.map { $0 / sum }
    }

    /// How much resampling light `light` onto the grid of light `reference` scales its white pixel noise: the RMS over
    /// the frame of √(Σwx²·Σwy²) for the Lanczos-3 taps at each output pixel's source position (1 = not resampled).
    static func resamplingNoiseGain(light: SessionTruth.Light, reference: SessionTruth.Light, size: Int) -> Double {
        var sum = 0.0, count = 0
        for y in stride(from: 8, to: size - 8, by: 16) {
            for x in stride(from: 8, to: size - 8, by: 16) {
                let p = light.referenceToLight.apply(reference.lightToReference.apply(Double(x), Double(y)).x,
                                                     reference.lightToReference.apply(Double(x), Double(y)).y)
                let wx = lanczosTaps(p.x - p.x.rounded(.down)), wy = lanczosTaps(p.y - p.y.rounded(.down))
                sum += wx.map { $0 * $0 }.reduce(0, +) * wy.map { $0 * $0 }.reduce(0, +)
                count += 1
            }
        }
        return (sum / Double(count)).squareRoot()
    }

    /// Spearman's rank correlation (no ties expected).
    static func spearman(_ a: [Double], _ b: [Double]) -> Double {
        func ranks(_ v: [Double]) -> [Double] {
            var r = [Double](repeating: 0, count: v.count)
            for (rank, index) in v.indices.sorted(by: { v[$0] < v[$1] }).enumerated() { r[index] = Double(rank) }
            return r
        }
        let ra = ranks(a), rb = ranks(b), n = Double(a.count)
        let d2 = zip(ra, rb).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
        return 1 - 6 * d2 / (n * (n * n - 1))
    }

    @Test func defaultWeightsFollowTruthSNRAndBeatNoiseWeights() throws {
        let session = try PipelineSession(name: "weights", size: 384, lights: 12, seed: 31) { c in
            c.fwhmRange = 2.2...4.5
            c.transparencyRange = 0.6...1.0
            c.exposure = 120
        }
        defer { session.remove() }
        let summary = try session.run()
        let truth = try SessionTruth.load(folder: session.truth)
        let stack = try #require(summary.stacks.first)
        let referenceName = URL(fileURLWithPath: try #require(stack.registrationReference)).lastPathComponent
        let reference = try #require(truth.lights.first { URL(fileURLWithPath: $0.file).lastPathComponent == referenceName })
        // Truth SNR of a frame as the stack receives it: its transparency (signal; the sky and so the noise is the
        // same in every sub) over the noise left after resampling onto the reference grid.
        var weights: [Double] = [], truthSNR: [Double] = []
        for frame in summary.frames where frame.accepted {
            let light = try #require(truth.lights.first { URL(fileURLWithPath: $0.file).lastPathComponent == URL(fileURLWithPath: frame.path).lastPathComponent })
            weights.append(try #require(frame.weight))
            truthSNR.append(light.conditions.transparency / Self.resamplingNoiseGain(light: light, reference: reference, size: 384))
        }
        let rho = Self.spearman(weights, truthSNR)
        print(String(format: "weights: Spearman ρ of the default weights vs the truth SNR over %d frames: %.3f", weights.count, rho))
        #expect(weights.count >= 10)
        #expect(rho >= 0.9)

        var noiseWeighted = PipelineSession.configuration()
        noiseWeighted.integration.weights = .noise
        let other = try session.run(noiseWeighted, output: session.folder + "/noise")
        let defaultNoise = try session.verify(try #require(summary.stacks[0].autocropped)).backgroundNoise
        let noiseNoise = try session.verify(try #require(other.stacks[0].autocropped)).backgroundNoise
        print(String(format: "weights: stack noise, default (psf-snr) %.4e vs noise weights %.4e (%.2f %%)", defaultNoise, noiseNoise, 100 * (defaultNoise / noiseNoise - 1)))
        // Both weightings use the same noise estimate; what is left is the LN scale against the noise weights' own
        // normalization, within the 1 % that the stack's noise is measured to.
        #expect(defaultNoise <= noiseNoise * 1.01)
    }
}
