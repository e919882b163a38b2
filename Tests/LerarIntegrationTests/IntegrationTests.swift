import Foundation
import LerarCore
import LerarIO
import Testing
@testable import LerarIntegration

final class StackFolder: @unchecked Sendable {
    let path = NSTemporaryDirectory() + "lerar-stack-" + UUID().uuidString
    init() { try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes frames whose samples come from `value(frame, pixel)`; returns the paths.
    func write(frames: Int, width: Int = 32, height: Int = 32, prefix: String = "frame", keywords: (Int) -> [FITSKeyword] = { _ in [] },
               value: (Int, Int) -> Float) throws -> [String] {
        try (0..<frames).map { frame in
            var image = Image(width: width, height: height, metadata: ImageMetadata(keywords: keywords(frame)))
            image.withMutableSamples { for p in 0..<$0.count { $0[p] = value(frame, p) } }
            let path = path + String(format: "/%@_%03d.fits", prefix, frame)
            try ImageFile.write(image, to: path, options: ImageWriteOptions(sampleFormat: .float32))
            return path
        }
    }
}

/// Gaussian noise with a fixed seed, so the planted outliers are the only far values.
func noise(_ frame: Int, _ pixel: Int) -> Float {
    // SplitMix64 on (frame, pixel): independent, spatially white samples.
    var state = UInt64(frame) << 32 | UInt64(pixel)
    func uniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) * 0x1.0p-53
    }
    return Float((-2 * log(max(uniform(), 1e-300))).squareRoot() * cos(2 * .pi * uniform()))
}

@Suite struct RejectionTests {
    static let algorithms: [IntegrationParameters.Rejection] = [.sigma, .winsorized, .linearFit, .esd, .percentile]

    /// 20 frames at 0.5 ± 0.01; every 4th pixel has one high outlier (+0.4) and every 8th one low outlier (−0.25).
    @Test(arguments: algorithms)
    func plantedOutliersAreRejectedAndCleanPixelsKept(algorithm: IntegrationParameters.Rejection) throws {
        let folder = StackFolder()
        let frames = 20, pixels = 32 * 32
        let paths = try folder.write(frames: frames) { frame, pixel in
            var v = 0.5 + 0.01 * noise(frame, pixel)
            if pixel % 4 == 0 && frame == pixel % frames { v += 0.4 }
            if pixel % 8 == 0 && frame == (pixel / 8) % frames && frame != pixel % frames { v -= 0.25 }
            return v
        }
        var p = IntegrationParameters()
        p.normalization = .none
        p.rejection = algorithm
        p.rejectionMaps = true
        let result = try IntegrationEngine(parameters: p).integrate(paths: paths)
        let high = try #require(result.rejectionHigh), low = try #require(result.rejectionLow)
        var missedHigh = 0, missedLow = 0, cleanRejected = 0
        for pixel in 0..<pixels {
            let plantedHigh = pixel % 4 == 0, plantedLow = pixel % 8 == 0 && (pixel / 8) % frames != pixel % frames
            let h = Int((high.samples[pixel] * Float(frames)).rounded()), l = Int((low.samples[pixel] * Float(frames)).rounded())
            if plantedHigh && h < 1 { missedHigh += 1 }
            if plantedLow && l < 1 { missedLow += 1 }
            cleanRejected += max(0, h - (plantedHigh ? 1 : 0)) + max(0, l - (plantedLow ? 1 : 0))
            // Every planted outlier gone: the result is within the noise of 0.5.
            #expect(abs(result.image.samples[pixel] - 0.5) < 0.012, "\(algorithm) pixel \(pixel): \(result.image.samples[pixel])")
        }
        #expect(missedHigh == 0 && missedLow == 0, "\(algorithm) missed \(missedHigh) high and \(missedLow) low outliers")
        #expect(Double(cleanRejected) / Double(frames * pixels) < 0.02, "\(algorithm) rejected \(cleanRejected) clean samples")
        let totalHigh = result.frames.reduce(0) { $0 + $1.rejectedHigh }
        #expect(totalHigh >= pixels / 4)
    }

    /// Averaged sigma clipping takes its dispersion from the whole stack under a Poisson model (PixInsight), so a big
    /// outlier inflates it: it catches high outliers in a bright stack, as it is meant to.
    @Test func averagedSigmaRejectsHighOutliers() throws {
        let folder = StackFolder()
        let paths = try folder.write(frames: 20) { frame, pixel in
            0.5 + 0.01 * noise(frame, pixel) + (pixel % 4 == 0 && frame == pixel % 20 ? 0.4 : 0)
        }
        var p = IntegrationParameters()
        p.normalization = .none
        p.rejection = .averagedSigma
        p.rejectionMaps = true
        let result = try IntegrationEngine(parameters: p).integrate(paths: paths)
        let high = try #require(result.rejectionHigh)
        for pixel in stride(from: 0, to: 1024, by: 4) { #expect(high.samples[pixel] > 0, "pixel \(pixel)") }
        #expect(result.image.samples.allSatisfy { abs($0 - 0.5) < 0.012 })
    }

    @Test func minMaxRejectsExactlyTheExtremes() throws {
        let folder = StackFolder()
        let paths = try folder.write(frames: 5) { frame, _ in Float(frame) }
        var p = IntegrationParameters()
        p.normalization = .none
        p.rejection = .minMax
        let result = try IntegrationEngine(parameters: p).integrate(paths: paths)
        #expect(result.image.samples.allSatisfy { $0 == 2 }) // (1+2+3)/3
        #expect(result.frames[0].rejectedLow == 1024 && result.frames[4].rejectedHigh == 1024 && result.frames[2].rejectedLow == 0)
    }

    @Test func autoChoosesByFrameCountAsWBPP() {
        #expect(IntegrationParameters.Rejection.auto.resolved(frameCount: 5) == .percentile)
        #expect(IntegrationParameters.Rejection.auto.resolved(frameCount: 15) == .winsorized)
        #expect(IntegrationParameters.Rejection.auto.resolved(frameCount: 16) == .linearFit)
        // LN-normalized frames: winsorized from 6 frames on, whatever the count (measured, docs/defaults.md).
        #expect(IntegrationParameters.Rejection.auto.resolved(frameCount: 5, localNormalization: true) == .percentile)
        #expect(IntegrationParameters.Rejection.auto.resolved(frameCount: 96, localNormalization: true) == .winsorized)
        #expect(IntegrationParameters.Rejection.sigma.resolved(frameCount: 96, localNormalization: true) == .sigma)
    }

    @Test func studentTQuantilesMatchTables() {
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 10) - 2.228) < 0.001)
        #expect(abs(StudentT.quantile(0.995, degreesOfFreedom: 5) - 4.032) < 0.001)
        #expect(abs(StudentT.quantile(0.95, degreesOfFreedom: 1) - 6.314) < 0.001)
    }
}

@Suite struct CombinationTests {
    @Test func noDataIsLeftOutNotAveragedIn() throws {
        let folder = StackFolder()
        let paths = try folder.write(frames: 4) { frame, pixel in pixel == 5 && frame == 1 ? .nan : (pixel == 9 ? .nan : Float(frame + 1)) }
        var p = IntegrationParameters()
        p.normalization = .none
        p.rejection = .none
        let result = try IntegrationEngine(parameters: p).integrate(paths: paths)
        #expect(result.image.samples[0] == 2.5)
        #expect(result.image.samples[5] == (1 + 3 + 4) / 3.0)
        #expect(result.image.samples[9].isNaN, "all frames without data → no data")
        #expect(result.frames[1].rangeRejected == 2)
    }

    @Test func normalizationMatchesFramesToTheFirst() throws {
        let folder = StackFolder()
        // frame i = base·k_i + d_i with a varying sky level and contrast.
        let k: [Float] = [1, 0.8, 1.3, 0.9, 1.1], d: [Float] = [0.1, 0.2, 0.05, 0.15, 0.12]
        let base: (Int) -> Float = { pixel in 0.2 + 0.01 * Float(pixel % 97) + (pixel % 50 == 0 ? 0.3 : 0) }
        let paths = try folder.write(frames: 5) { frame, pixel in base(pixel) * k[frame] + d[frame] }
        var p = IntegrationParameters()
        p.rejection = .none
        p.normalization = .additiveScaling
        p.scaleEstimator = .mad
        let result = try IntegrationEngine(parameters: p).integrate(paths: paths)
        for pixel in [0, 10, 50, 500, 1000] { #expect(abs(result.image.samples[pixel] - (base(pixel) + 0.1)) < 1e-4) }
        p.normalization = .multiplicative
        let flats = try folder.write(frames: 5, prefix: "flat") { frame, pixel in base(pixel) * k[frame] }
        let multiplied = try IntegrationEngine(parameters: p).integrate(paths: flats)
        for pixel in [0, 10, 500] { #expect(abs(multiplied.image.samples[pixel] - base(pixel)) < 1e-5) }
        p.normalization = .none
        let plain = try IntegrationEngine(parameters: p).integrate(paths: paths)
        #expect(abs(plain.image.samples[0] - (0..<5).map { base(0) * k[$0] + d[$0] }.reduce(0, +) / 5) < 1e-5)
    }

    @Test(arguments: [IntegrationParameters.ScaleEstimator.mad, .bwmv, .ikss])
    func scaleEstimatorsAreConsistentForGaussianNoise(estimator: IntegrationParameters.ScaleEstimator) {
        let values = (0..<40_000).map { 0.5 + 0.02 * noise(7, $0) }
        let estimates = values.withUnsafeBufferPointer { ChannelEstimator.estimate($0, width: 200, height: 200, estimator: estimator, withNoise: true) }
        #expect(abs(estimates.scale / 0.02 - 1) < 0.03, "\(estimator): \(estimates.scale)")
        #expect(abs(estimates.location - 0.5) < 0.001)
        #expect(abs(estimates.noise / 0.02 - 1) < 0.05, "wavelet noise \(estimates.noise)")
    }

    @Test func locationOnlyEstimateHasTheSameMedianAndNoScale() {
        // A flat's multiplicative normalization needs only the median: it must be the full estimate's, bit for bit.
        let values = (0..<40_001).map { Float(0.5 + 0.02 * noise(3, $0)) * ($0 % 97 == 0 ? 4 : 1) }
        let (full, located) = values.withUnsafeBufferPointer { buffer in
            (ChannelEstimator.estimate(buffer, width: 40_001, height: 1, estimator: .bwmv, withNoise: false),
             ChannelEstimator.estimate(buffer, width: 40_001, height: 1, estimator: .bwmv, withScale: false, withNoise: false))
        }
        #expect(located.location == full.location)
        #expect(located.scale.isNaN && full.scale > 0)
    }

    @Test func weightsFromExposureKeywordAndNoise() throws {
        let folder = StackFolder()
        let paths = try folder.write(frames: 2, keywords: { [.number("EXPTIME", $0 == 0 ? 60 : 180), .number("MYWEIGHT", $0 == 0 ? 3 : 1)] }) { frame, _ in frame == 0 ? 1 : 3 }
        var p = IntegrationParameters()
        p.normalization = .none
        p.rejection = .none
        p.weighting = .exposure
        #expect(try IntegrationEngine(parameters: p).integrate(paths: paths).image.samples[0] == 2.5) // (60·1 + 180·3)/240
        p.weighting = .keyword("MYWEIGHT")
        #expect(try IntegrationEngine(parameters: p).integrate(paths: paths).image.samples[0] == 1.5)
        p.weighting = .table(["frame_000.fits": 1, "frame_001.fits": 0])
        #expect(try IntegrationEngine(parameters: p).integrate(paths: paths).image.samples[0] == 1)
        // Noise weights: the noisier frame counts less (σ 0.02 vs 0.01 → weights 1/4 vs 1).
        let noisy = try folder.write(frames: 2, prefix: "noisy") { frame, pixel in (frame == 0 ? 0.3 : 0.6) + (frame == 0 ? 0.02 : 0.01) * noise(frame, pixel) }
        p.weighting = .noise
        let result = try IntegrationEngine(parameters: p).integrate(paths: noisy)
        #expect(abs(result.frames[0].weights[0] - 0.25) < 0.05 && result.frames[1].weights[0] == 1)
        let mean = result.image.samples.reduce(0, +) / Float(result.image.samples.count)
        #expect(abs(mean - (0.25 * 0.3 + 0.6) / 1.25) < 0.005)
    }

    @Test func bandsOfOneRowGiveTheSameResult() throws {
        let folder = StackFolder()
        let paths = try folder.write(frames: 9) { frame, pixel in 0.4 + 0.01 * noise(frame, pixel) + (pixel % 7 == frame ? 0.3 : 0) }
        var p = IntegrationParameters()
        p.rejection = .winsorized
        let whole = try IntegrationEngine(parameters: p).integrate(paths: paths)
        p.maxMemory = 1 // forces one row per band
        let banded = try IntegrationEngine(parameters: p).integrate(paths: paths)
        #expect(banded.bandRows == 1 && whole.bandRows == 32)
        #expect(banded.image.samples == whole.image.samples)
    }

    @Test func mismatchedFramesAreRefusedNamingTheFile() throws {
        let folder = StackFolder()
        let paths = try folder.write(frames: 2) { _, _ in 1 }
        try ImageFile.write(Image(width: 16, height: 16), to: folder.path + "/small.fits")
        #expect(throws: IntegrationError.self) { try IntegrationEngine(parameters: IntegrationParameters()).integrate(paths: paths + [folder.path + "/small.fits"]) }
        #expect(throws: IntegrationError.tooFewFrames(0)) { try IntegrationEngine(parameters: IntegrationParameters()).integrate(paths: []) }
    }
}

@Suite struct SortingNetworkTests {
    @Test func sortsEveryStackSizeLikeSort() {
        var state: UInt64 = 99
        for size in 1...70 {
            let network = SortingNetwork(size: size)
            for trial in 0..<20 {
                var values = (0..<size).map { _ -> Float in
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    return trial % 3 == 0 ? Float(state >> 61) : Float(state >> 40) / 1000 // ties too
                }
                if trial % 5 == 1 { values[size / 2] = .infinity } // missing samples
                let expected = values.sorted()
                values.withUnsafeMutableBufferPointer { network.sort($0.baseAddress!) }
                #expect(values == expected, "size \(size)")
            }
        }
    }
}

/// The band combiner reads whole blocks of eight in-range samples as one vector and everything else sample by
/// sample: a stack whose blocks mix in-range, NaN, ±∞ and range-clipped samples (and a partial block at each row's
/// end) must equal the per-pixel mean of the samples kept, with every left-out sample counted.
@Suite struct BandGatherTests {
    @Test func blocksWithMissingAndClippedSamplesStackAsPerPixel() throws {
        let folder = StackFolder()
        let frames = 5, width = 37, height = 6
        func sample(_ frame: Int, _ pixel: Int) -> Float {
            switch (frame * 31 + pixel * 7) % 23 {
            case 0: .nan
            case 1: .infinity
            case 2: -.infinity
            case 3: 0.99     // ≥ rangeHigh
            case 4: -0.01    // ≤ rangeLow
            default: 0.3 + 0.05 * noise(frame, pixel)
            }
        }
        let paths = try folder.write(frames: frames, width: width, height: height) { sample($0, $1) }
        var p = IntegrationParameters()
        p.normalization = .none
        p.rejection = .none
        p.weighting = .none
        p.rangeClipLow = true
        p.rangeLow = 0
        p.rangeClipHigh = true
        p.rangeHigh = 0.98
        let result = try IntegrationEngine(parameters: p).integrate(paths: paths)
        var leftOut = 0
        let stacked = result.image.samples
        for pixel in 0..<(width * height) {
            let kept = (0..<frames).map { sample($0, pixel) }.filter { $0.isFinite && $0 > 0 && $0 < 0.98 }
            leftOut += frames - kept.count
            if kept.isEmpty {
                #expect(stacked[pixel].isNaN, "pixel \(pixel)")
            } else {
                let mean = kept.reduce(0.0) { $0 + Double($1) } / Double(kept.count)
                #expect(abs(Double(stacked[pixel]) - mean) < 1e-6, "pixel \(pixel): \(stacked[pixel]) vs \(mean)")
            }
        }
        #expect(leftOut > 0 && result.frames.reduce(0) { $0 + $1.rangeRejected } == leftOut)
    }
}
