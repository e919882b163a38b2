import Foundation
import LerarCore
import LerarRegistration

/// Settings of the deconvolution; each default is declared here once.
public struct DeconvolutionParameters: Sendable, Equatable, Codable {
    /// Most Richardson–Lucy iterations; default 30 (PixInsight users run 20–50; Siril 10).
    public var iterations: Int = 30
    /// Stop when an iteration changes the signal above the sky by less than this (Σ|Δo| / Σo); default 0.002,
    /// Siril's stopping criterion. 0 runs every iteration.
    public var convergence: Double = 0.002
    /// Wavelet regularisation per layer (threshold in σ, reduction); default PixInsight's first two layers,
    /// [3.00, 1.00] and [2.00, 0.70] (observed; shared/reference/postprocessing.md §9.1).
    public var regularization: [WaveletLayerRule] = [WaveletLayerRule(threshold: 3, reduction: 1), WaveletLayerRule(threshold: 2, reduction: 0.7)]
    /// Local deringing: how much of each update a bright star's support (the star mask) holds back; default 0.5,
    /// measured (docs/finish.md): PixInsight's 0.70 left stars only 16 % narrower here, 0.3 let rings reach 2.5 σ.
    public var deringingAmount: Double = 0.5
    /// Global dark deringing: the deconvolved signal may go at most this many background σ below the sky (the
    /// positivity of RL above a floor at sky − k·σ); default 2, so the sky's own noise is barely touched.
    public var darkDeringingSigma: Double = 2
    /// Stars whose peak stands this many background σ above the sky go into the deringing support; default 20:
    /// RL's first dark ring is about 5 % of a star's peak, so fainter stars ring below 1 σ.
    public var deringingStarSigma: Double = 20

    public init(iterations: Int = 30, convergence: Double = 0.002,
                regularization: [WaveletLayerRule] = [WaveletLayerRule(threshold: 3, reduction: 1), WaveletLayerRule(threshold: 2, reduction: 0.7)],
                deringingAmount: Double = 0.5, darkDeringingSigma: Double = 2, deringingStarSigma: Double = 20) {
        self.darkDeringingSigma = darkDeringingSigma
        self.iterations = iterations
        self.convergence = convergence
        self.regularization = regularization
        self.deringingAmount = deringingAmount
        self.deringingStarSigma = deringingStarSigma
    }
}

/// What the deconvolution did.
public struct DeconvolutionReport: Sendable, Codable, Equatable {
    public var psf: MoffatPSF
    public var kernelRadius: Int
    public var iterationsRun: Int
    /// Relative change of the last iteration.
    public var lastChange: Double
    /// Stars in the deringing support.
    public var protectedStars: Int
    /// Seconds per iteration (wall clock).
    public var secondsPerIteration: Double
}

/// Regularised Richardson–Lucy deconvolution with a star-mask deringing support, convolutions through FFTW.
public enum Deconvolution {
    /// Deconvolves a gray image, or the luminance (channel mean) of a colour one: every channel is then scaled by the
    /// pixel's luminance gain, so colour ratios are kept (PixInsight's "to luminance").
    public static func apply(to image: Image, psf: MoffatPSF, parameters: DeconvolutionParameters = .init(),
                             progress: ((Int, Int) -> Void)? = nil) -> (image: Image, report: DeconvolutionReport) {
        let luminance = image.channelMean()
        let (sharp, report) = deconvolve(plane: luminance, width: image.width, height: image.height, psf: psf, parameters: parameters, progress: progress)
        if image.channelCount == 1 { return (Image(width: image.width, height: image.height, samples: sharp, metadata: image.metadata), report) }
        var output = image
        let count = image.pixelCount
        output.withMutableSamples { samples in
            for i in 0..<count {
                let before = luminance[i]
                let gain: Float = before > 0 && before.isFinite ? sharp[i] / before : 1
                for c in 0..<image.channelCount { samples[c * count + i] *= gain }
            }
        }
        return (output, report)
    }

    /// The deconvolved plane. The image is modelled as P ⊛ o + b, with b the smooth sky lowered by
    /// `darkDeringingSigma` σ and o ≥ 0: RL keeps o positive, so no ring can fall deeper than that below the sky
    /// (on a pedestal, plain RL rings freely). NaN (no data) is filled with the median for the transforms and stays
    /// NaN; a plane with samples ≤ 0 is lifted during the iterations and put back after.
    public static func deconvolve(plane input: [Float], width: Int, height: Int, psf: MoffatPSF, parameters: DeconvolutionParameters = .init(),
                                  progress: ((Int, Int) -> Void)? = nil) -> ([Float], DeconvolutionReport) {
        let radius = psf.kernelRadius()
        let convolver = FFTConvolver(width: width, height: height, kernelRadius: radius)
        let spectrum = convolver.spectrum(ofKernel: psf.kernel(radius: radius), radius: radius)
        let count = width * height
        let median = input.withUnsafeBufferPointer { RobustStatistics.median($0) }
        // The input's storage is shared until a NaN or the pedestal changes a sample (copy on write): one plane less.
        var observed = input
        if observed.contains(where: { !$0.isFinite }) {
            for i in 0..<count where !observed[i].isFinite { observed[i] = Float(median.isFinite ? median : 0) }
        }
        let sigma = max(1e-9, observed.withUnsafeBufferPointer { WaveletNoise.sigma($0, width: width, height: height) })
        let minimum = observed.min() ?? 0
        let pedestal: Float = minimum > 0 ? 0 : -minimum + Float(sigma) * 10
        if pedestal > 0 { for i in 0..<count { observed[i] += pedestal } }
        let lowered = Float(parameters.darkDeringingSigma * sigma)
        let (support, protectedStars, floor) = { () -> ([Float], Int, [Float]) in
            var (support, stars, map) = deringingSupport(observed, width: width, height: height, psf: psf, parameters: parameters)
            for i in 0..<count { map[i] = max(0, map[i] - lowered) }  // the sky map becomes the floor in place
            return (support, stars, map)
        }()
        let tiny = Float(0.01 * sigma)
        var estimate = (0..<count).map { max(tiny, observed[$0] - floor[$0]) }
        var blurred = [Float](repeating: 0, count: count), correction = blurred, residual = blurred
        var workspace = WaveletRegularization.Workspace(count: count)
        var iterations = 0, change = Double.infinity
        let start = Date()
        let hold = Float(min(1, max(0, parameters.deringingAmount)))
        while iterations < parameters.iterations && change >= parameters.convergence {
            estimate.withUnsafeBufferPointer { e in blurred.withUnsafeMutableBufferPointer { convolver.convolve(e, spectrum: spectrum, into: $0) } }
            // The observation as the current model plus its significant residual: noise does not drive the update.
            Self.parallel(count, &residual, observed, blurred, floor) { out, o, b, f, i in out[i] = o[i] - (b[i] + f[i]) }
            WaveletRegularization.regularize(&residual, width: width, height: height, sigma: sigma, rules: parameters.regularization, workspace: &workspace)
            Self.parallel(count, &correction, blurred, floor, residual) { out, b, f, r, i in
                let model = max(b[i] + f[i], Float.leastNormalMagnitude)
                out[i] = max(0, model + r[i]) / model
            }
            correction.withUnsafeBufferPointer { c in blurred.withUnsafeMutableBufferPointer { convolver.convolve(c, spectrum: spectrum, flipped: true, into: $0) } }
            let sums = estimate.withUnsafeMutableBufferPointer { e in
                blurred.withUnsafeBufferPointer { b in
                    support.withUnsafeBufferPointer { h in
                        let es = UnsafeSendable(e), bs = UnsafeSendable(b), hs = UnsafeSendable(h)
                        return Parallel.mapChunks(count: count, minimumChunkSize: 1 << 16) { range -> (Double, Double) in
                            var changed = 0.0, total = 0.0
                            for i in range {
                                let previous = es.value[i]
                                var next = previous * max(0, bs.value[i])
                                next = previous + (next - previous) * (1 - hold * hs.value[i])
                                es.value[i] = next
                                changed += Double(abs(next - previous)); total += Double(previous)
                            }
                            return (changed, total)
                        }
                    }
                }
            }
            let changed = sums.reduce(0) { $0 + $1.0 }, total = sums.reduce(0) { $0 + $1.1 }
            change = total > 0 ? changed / total : 0
            iterations += 1
            progress?(iterations, parameters.iterations)
        }
        let seconds = Date().timeIntervalSince(start)
        for i in 0..<count { estimate[i] = input[i].isFinite ? estimate[i] + floor[i] - pedestal : .nan }
        let report = DeconvolutionReport(psf: psf, kernelRadius: radius, iterationsRun: iterations, lastChange: change.isFinite ? change : 0,
                                         protectedStars: protectedStars, secondsPerIteration: iterations > 0 ? seconds / Double(iterations) : 0)
        return (estimate, report)
    }

    /// `out[i] = body(…)` over three input planes, in parallel chunks.
    static func parallel(_ count: Int, _ out: inout [Float], _ a: [Float], _ b: [Float], _ c: [Float],
                         _ body: @Sendable (UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, Int) -> Void) {
        out.withUnsafeMutableBufferPointer { o in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeBufferPointer { pc in
                        let so = UnsafeSendable(o), sa = UnsafeSendable(pa), sb = UnsafeSendable(pb), sc = UnsafeSendable(pc)
                        Parallel.forEachChunk(count: count, minimumChunkSize: 1 << 16) { range in
                            for i in range { body(so.value, sa.value, sb.value, sc.value, i) }
                        }
                    }
                }
            }
        }
    }

    /// The deringing support (1 over bright stars out to 3 PSF FWHM, their rings' reach, softened by two smoothing
    /// layers so the held-back region has no edge of its own), the stars in it and the smooth sky map.
    static func deringingSupport(_ plane: [Float], width: Int, height: Int, psf: MoffatPSF, parameters: DeconvolutionParameters) -> ([Float], Int, [Float]) {
        var mask = [Float](repeating: 0, count: width * height)
        // Cells of about 6 FWHM: the sky map follows extended objects (a star's halo on a galaxy ends at the galaxy,
        // not at the sky beside it) while each cell's clipped median still ignores the stars.
        let survey = StarSurvey(plane: plane, width: width, height: height, cellSize: max(16, Int((6 * psf.fwhmMajor).rounded())))
        guard parameters.deringingAmount > 0 else { return (mask, 0, survey.skyMap) }
        let stars = survey.stars(threshold: parameters.deringingStarSigma)
        let radius = 3 * psf.fwhmMajor
        for star in stars {
            let r = Int(radius.rounded(.up))
            for y in max(0, Int(star.y) - r)...min(height - 1, Int(star.y) + r) {
                for x in max(0, Int(star.x) - r)...min(width - 1, Int(star.x) + r) where hypot(Double(x) - star.x, Double(y) - star.y) <= radius {
                    mask[y * width + x] = 1
                }
            }
        }
        return (ATrousSmoothing.residual(mask, width: width, height: height, layers: 2), stars.count, survey.skyMap)
    }
}
