import Foundation
import LerarCore
@testable import LerarPostProcessing
import Testing

/// A gray stack-like field: point stars at whole pixels and a smooth galaxy, blurred by a known elliptical Moffat
/// PSF, over a sky with little noise; the noise-free, unblurred truth is kept.
struct BlurredFieldFixture {
    let width = 256, height = 256
    let psf = MoffatPSF(fwhmMajor: 4.4, fwhmMinor: 3.8, angle: 30, beta: 3.5)
    let sky: Float = 0.02, noise = 0.00015
    let truth: [Float], observed: [Float]
    /// The truth without its stars: sky and galaxy.
    let background: [Float]
    /// Bright stars (position, flux) for the ringing check.
    let brightStars: [(x: Int, y: Int)]

    init(seed: UInt64 = 11) {
        var random = SeededRandom(seed: seed)
        var truth = [Float](repeating: 0, count: 256 * 256)
        var bright: [(Int, Int)] = []
        for index in 0..<90 {
            let x = 12 + Int(random.uniform() * 232), y = 12 + Int(random.uniform() * 232)
            let flux = Float(0.02 * pow(10, random.uniform() * 1.8))
            truth[y * 256 + x] += flux
            if index < 90 && flux > 0.6 { bright.append((x, y)) }
        }
        var background = [Float](repeating: 0, count: 256 * 256)
        for y in 0..<256 {
            for x in 0..<256 {
                let dx = Double(x - 170), dy = Double(y - 90)
                background[y * 256 + x] = sky + Float(0.004 * exp(-(dx * dx / 800 + dy * dy / 300)))
                truth[y * 256 + x] += background[y * 256 + x]
            }
        }
        self.background = background
        let radius = psf.kernelRadius()
        let convolver = FFTConvolver(width: 256, height: 256, kernelRadius: radius)
        let spectrum = convolver.spectrum(ofKernel: psf.kernel(radius: radius), radius: radius)
        var blurred = [Float](repeating: 0, count: truth.count)
        truth.withUnsafeBufferPointer { t in blurred.withUnsafeMutableBufferPointer { convolver.convolve(t, spectrum: spectrum, into: $0) } }
        for i in 0..<blurred.count { blurred[i] += Float(noise * random.gaussian()) }
        self.truth = truth
        observed = blurred
        brightStars = bright
    }

    /// The truth blurred by `psf`.
    func truth(blurredBy psf: MoffatPSF) -> [Float] {
        let radius = psf.kernelRadius()
        let convolver = FFTConvolver(width: width, height: height, kernelRadius: radius)
        let spectrum = convolver.spectrum(ofKernel: psf.kernel(radius: radius), radius: radius)
        var output = [Float](repeating: 0, count: truth.count)
        truth.withUnsafeBufferPointer { t in output.withUnsafeMutableBufferPointer { convolver.convolve(t, spectrum: spectrum, into: $0) } }
        return output
    }
}

@Suite(.serialized) struct DeconvolutionTests {
    /// FFTW's convolution equals the direct sum, also at the mirrored edges; the flipped one is the correlation.
    @Test func fftConvolutionMatchesTheDirectSum() {
        let width = 40, height = 30, r = 3
        var random = SeededRandom(seed: 3)
        let plane = (0..<(width * height)).map { _ in Float(random.uniform()) }
        let kernel = (0..<((2 * r + 1) * (2 * r + 1))).map { _ in Float(random.uniform()) }
        let convolver = FFTConvolver(width: width, height: height, kernelRadius: r)
        let spectrum = convolver.spectrum(ofKernel: kernel, radius: r)
        for flipped in [false, true] {
            var output = [Float](repeating: 0, count: plane.count)
            plane.withUnsafeBufferPointer { p in output.withUnsafeMutableBufferPointer { convolver.convolve(p, spectrum: spectrum, flipped: flipped, into: $0) } }
            var worst: Float = 0
            for y in 0..<height {
                for x in 0..<width {
                    var sum: Float = 0
                    for ky in -r...r {
                        for kx in -r...r {
                            let sx = ATrousSmoothing.mirror(x + (flipped ? kx : -kx), width), sy = ATrousSmoothing.mirror(y + (flipped ? ky : -ky), height)
                            sum += kernel[(ky + r) * (2 * r + 1) + kx + r] * plane[sy * width + sx]
                        }
                    }
                    worst = max(worst, abs(sum - output[y * width + x]))
                }
            }
            #expect(worst < 1e-4, "flipped \(flipped): largest difference \(worst)")
        }
    }

    @Test func psfEstimatorRecoversTheBlur() throws {
        let field = BlurredFieldFixture()
        let psf = try PSFEstimator.measure(plane: field.observed, width: field.width, height: field.height)
        #expect(psf.starCount >= 10)
        #expect(abs(psf.fwhmMajor / field.psf.fwhmMajor - 1) < 0.05 && abs(psf.fwhmMinor / field.psf.fwhmMinor - 1) < 0.05, "\(psf)")
        let angleError = abs(psf.angle - field.psf.angle).truncatingRemainder(dividingBy: 180)
        #expect(min(angleError, 180 - angleError) < 8, "angle \(psf.angle)")
        #expect(abs(psf.beta - field.psf.beta) < 0.8, "β \(psf.beta)")
    }

    /// With the measured PSF: stars ≥ 20 % narrower, no dark ring deeper than 3 σ around bright stars, background
    /// noise at most 1.5×, and closer to the truth (blurred by the narrower PSF) than the input.
    @Test func deconvolutionSharpensWithoutRingingOrNoise() throws {
        let field = BlurredFieldFixture()
        let psf = try PSFEstimator.measure(plane: field.observed, width: field.width, height: field.height)
        let (sharp, report) = Deconvolution.deconvolve(plane: field.observed, width: field.width, height: field.height, psf: psf)
        let after = try PSFEstimator.measure(plane: sharp, width: field.width, height: field.height)
        let narrowing = 1 - after.fwhm / psf.fwhm
        func noise(_ plane: [Float]) -> Double {
            var values: [Float] = []
            for y in 150..<250 { for x in 10..<70 { values.append(plane[y * 256 + x]) } }
            return values.withUnsafeBufferPointer { 1.4826 * RobustStatistics.compute($0).mad }
        }
        let noiseGain = noise(sharp) / noise(field.observed)
        let narrow = MoffatPSF(fwhmMajor: after.fwhmMajor, fwhmMinor: after.fwhmMinor, angle: after.angle, beta: after.beta)
        let reference = field.truth(blurredBy: narrow)
        // Ringing: the deepest mean of a 1-px ring from 1 to 4 FWHM around each bright star below the true sky (the
        // truth without stars: other stars' light only brightens a ring).
        let sigma = noise(sharp)
        var deepest = 0.0
        for star in field.brightStars {
            for ring in Int(psf.fwhm)...Int(4 * psf.fwhm) {
                var sum = 0.0, n = 0
                for y in max(0, star.y - ring - 1)...min(255, star.y + ring + 1) {
                    for x in max(0, star.x - ring - 1)...min(255, star.x + ring + 1) {
                        let d = hypot(Double(x - star.x), Double(y - star.y))
                        if d >= Double(ring) && d < Double(ring + 1) { sum += Double(sharp[y * 256 + x] - field.background[y * 256 + x]); n += 1 }
                    }
                }
                if n > 0 { deepest = min(deepest, sum / Double(n)) }
            }
        }
        func rmse(_ plane: [Float]) -> Double {
            var sum = 0.0
            for y in 16..<240 { for x in 16..<240 { let d = Double(plane[y * 256 + x] - reference[y * 256 + x]); sum += d * d } }
            return (sum / Double(224 * 224)).squareRoot()
        }
        print(String(format: "figure: deconvolution %d iterations (%.3f s each), FWHM %.2f → %.2f px (%.0f %% narrower), noise ×%.2f, deepest ring %.1f σ, RMSE against the truth blurred to the new PSF %.2e → %.2e",
                     report.iterationsRun, report.secondsPerIteration, psf.fwhm, after.fwhm, 100 * narrowing, noiseGain, deepest / sigma, rmse(field.observed), rmse(sharp)))
        #expect(narrowing >= 0.2, "FWHM \(psf.fwhm) → \(after.fwhm)")
        #expect(noiseGain <= 1.5, "noise ×\(noiseGain)")
        #expect(deepest >= -3 * sigma, "dark ring \(deepest / sigma) σ")
        #expect(rmse(sharp) < rmse(field.observed))
    }
}
