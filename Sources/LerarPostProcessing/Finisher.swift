import Foundation
import LerarCore
import LerarNormalization

/// How the finish stretches the linear images.
public enum FinishStretch: String, Sendable, Equatable, Codable, CaseIterable {
    /// The STF auto-stretch as a HistogramTransformation (linked on RGB).
    case auto
    /// The arcsinh stretch, which keeps star colour.
    case arcsinh
    /// A given HistogramTransformation (shadows, midtones, highlights) on every channel.
    case histogram
}

/// Settings of the whole finish; each step can be switched off, and each default is declared once in the step's
/// own Parameters.
public struct FinishParameters: Sendable, Equatable, Codable {
    /// LinearFit R, G, B to the channel with the highest median before combining (the "linear link"); default on.
    public var linearFit = true
    public var linearFitParameters = LinearFitParameters()
    public var backgroundNeutralization = true
    public var neutralization = BackgroundNeutralizationParameters()
    /// A sky rectangle for BackgroundNeutralization in the masters' px (x, y, width, height); nil: found automatically.
    public var backgroundRegion: [Int]? = nil
    public var colorCalibration = true
    public var calibration = ColorCalibrationParameters()
    /// SCNR after colour calibration, against what green is left; default on (average neutral, amount 1).
    public var scnr = true
    public var scnrParameters = SCNRParameters()
    public var deconvolution = true
    public var deconvolutionParameters = DeconvolutionParameters()
    public var psf = PSFEstimatorParameters()
    /// Default the STF auto-stretch (PixInsight's habit: drag the STF onto HistogramTransformation).
    public var stretch: FinishStretch = .auto
    public var autoStretch = AutoStretchParameters()
    public var arcsinh = ArcsinhStretchParameters()
    public var histogram = HistogramTransformation()
    public var lrgb = LRGBCombinationParameters()

    public init() {}
}

/// The masters the finish starts from: mono R, G, B (and optionally L), or one colour (OSC) master; all on one grid.
public struct FinishInputs: Sendable {
    public var luminance: Image?
    public var red: Image?, green: Image?, blue: Image?
    public var color: Image?
    /// The LN references whose stars give the PSF: L's for an LRGB finish, R's, G's and B's (averaged) for RGB.
    public var psfReferences: [Image] = []

    public init(luminance: Image? = nil, red: Image? = nil, green: Image? = nil, blue: Image? = nil, color: Image? = nil, psfReferences: [Image] = []) {
        self.luminance = luminance
        self.red = red
        self.green = green
        self.blue = blue
        self.color = color
        self.psfReferences = psfReferences
    }
}

/// One step the finish ran, how long it took and what it found.
public struct FinishStep: Sendable, Codable, Equatable {
    public var name: String
    public var seconds: Double
    public var detail: String
}

/// What the finish made.
public struct FinishProducts: Sendable {
    /// The combined, neutralized, colour-calibrated linear RGB (before deconvolution and stretch).
    public var rgbLinear: Image
    /// The final stretched image: LRGB when there is a luminance, RGB otherwise.
    public var final: Image
    public var hasLuminance: Bool
    public var psf: MoffatPSF?
    public var deconvolution: DeconvolutionReport?
    /// The deconvolved plane (L, or the RGB's luminance) before and after, linear, for the report's crops.
    public var beforeDeconvolution: Image?, afterDeconvolution: Image?
    /// The crop taken from the masters' grid (x, y, width, height), px.
    public var crop: [Int]
    public var steps: [FinishStep]
    public var notes: [String]
}

/// The finish in the order that avoids the "green fog": LinearFit, ChannelCombination, BackgroundNeutralization,
/// colour calibration, SCNR (all linear), deconvolution with the LN reference's PSF, stretch, LRGBCombination.
public enum Finisher {
    public static func run(_ inputs: FinishInputs, parameters: FinishParameters = .init(),
                           progress: ((String) -> Void)? = nil) throws -> FinishProducts {
        var steps: [FinishStep] = [], notes: [String] = []
        func timed<T>(_ name: String, _ body: () throws -> (T, String)) rethrows -> T {
            progress?(name)
            let start = Date()
            let (value, detail) = try body()
            steps.append(FinishStep(name: name, seconds: Date().timeIntervalSince(start), detail: detail))
            return value
        }
        // Common crop over every master: registration borders differ per filter.
        let all = [inputs.luminance, inputs.red, inputs.green, inputs.blue, inputs.color].compactMap { $0 }
        guard let first = all.first else { throw PostProcessingError.invalidInput("finish: no masters given") }
        for image in all where image.width != first.width || image.height != first.height {
            throw PostProcessingError.sizeMismatch("finish: masters of \(first.width)×\(first.height) and \(image.width)×\(image.height); they must share the panel's grid")
        }
        var common = Autocrop(width: first.width, height: first.height)
        for image in all { common.add(image) }
        guard let crop = common.rectangle() else { throw PostProcessingError.insufficientData("finish: the masters have no area in common") }
        func cropped(_ image: Image) -> Image {
            crop == (0, 0, image.width, image.height) ? image : image.cropped(x: crop.x, y: crop.y, width: crop.width, height: crop.height)
        }

        var rgb: Image
        if let color = inputs.color {
            guard color.channelCount == 3 else { throw PostProcessingError.invalidInput("finish: the colour master has \(color.channelCount) channel(s)") }
            rgb = cropped(color)
        } else {
            guard let red = inputs.red, let green = inputs.green, let blue = inputs.blue else {
                throw PostProcessingError.invalidInput("finish: needs R, G and B masters (or one colour master)")
            }
            var channels = [red, green, blue].map(cropped)
            if parameters.linearFit {
                channels = try timed("LinearFit") {
                    let medians = channels.map { $0.withChannel(0) { RobustStatistics.median($0) } }
                    let reference = medians.indices.max { medians[$0] < medians[$1] } ?? 1
                    let (fitted, fits) = try ChannelLinearFit.link(channels, referenceIndex: reference, parameters: parameters.linearFitParameters)
                    let names = ["R", "G", "B"]
                    let detail = "reference \(names[reference]); " + fits.enumerated().filter { $0.offset != reference }
                        .map { String(format: "%@ = %.4g + %.4g·%@", names[reference], $0.element.offset, $0.element.scale, names[$0.offset]) }.joined(separator: ", ")
                    return (fitted, detail)
                }
            }
            rgb = try timed("ChannelCombination") {
                let result = try ChannelCombination.combine(red: channels[0], green: channels[1], blue: channels[2],
                                                            parameters: ChannelCombinationParameters(cropToCommonArea: false))
                return (result.image, "\(crop.width)×\(crop.height) px from (\(crop.x), \(crop.y))")
            }
        }
        if parameters.backgroundNeutralization {
            var neutralization = parameters.neutralization
            if let region = parameters.backgroundRegion {
                guard region.count == 4 else { throw PostProcessingError.invalidInput("background region: give x, y, width, height") }
                // The masters' px → the cropped image's.
                neutralization.reference.region = .rectangle(x: region[0] - crop.x, y: region[1] - crop.y, width: region[2], height: region[3])
            }
            rgb = try timed("BackgroundNeutralization") {
                let result = try BackgroundNeutralization.apply(to: rgb, parameters: neutralization)
                let levels = result.before.levels.map { String(format: "%.5f", $0) }.joined(separator: " / ")
                return (result.image, "sky R/G/B \(levels) → \(String(format: "%.5f", result.targetLevel)) (\(result.before.pixelCount) px, \(result.before.cellsUsed) of \(result.before.cellsMeasured) cells)")
            }
        }
        if parameters.colorCalibration {
            do {
                rgb = try timed("ColorCalibration") {
                    let result = try ColorCalibration.apply(to: rgb, parameters: parameters.calibration)
                    return (result.image, String(format: "white from %d stars; factors R %.4f, G %.4f, B %.4f", result.starsUsed, result.factors[0], result.factors[1], result.factors[2]))
                }
            } catch PostProcessingError.insufficientData(let why) {
                // A field without enough clean stars (a nebula filling the frame) still gets its image, said plainly.
                notes.append("colour calibration skipped: \(why); the colours are the neutralized channels' as they came")
            }
        }
        if parameters.scnr {
            rgb = try timed("SCNR") { (try SCNR.apply(to: rgb, parameters: parameters.scnrParameters), "\(parameters.scnrParameters.method.rawValue), amount \(parameters.scnrParameters.amount)") }
        }
        let rgbLinear = rgb
        var luminance = inputs.luminance.map(cropped)

        // Deconvolution of L, or of the RGB's luminance, with the PSF of the LN reference.
        var psf: MoffatPSF?, report: DeconvolutionReport?, before: Image?, after: Image?
        if parameters.deconvolution {
            let target = luminance ?? Image(width: rgb.width, height: rgb.height, samples: rgb.channelMean())
            do {
                psf = try timed("PSF") { () -> (MoffatPSF, String) in
                    let references = inputs.psfReferences.filter { $0.width == first.width && $0.height == first.height }.map(cropped)
                    let source: Image
                    if references.isEmpty {
                        notes.append("no LN reference given: the PSF was measured on the master it deconvolves")
                        source = target
                    } else {
                        var plane = [Float](repeating: 0, count: rgb.pixelCount)
                        for reference in references { let mean = reference.channelMean(); for i in plane.indices { plane[i] += mean[i] / Float(references.count) } }
                        source = Image(width: rgb.width, height: rgb.height, samples: plane)
                    }
                    let psf = try PSFEstimator.measure(plane: source.samples, width: source.width, height: source.height, parameters: parameters.psf)
                    return (psf, String(format: "Moffat FWHM %.2f × %.2f px at %.0f°, β %.2f, from %d stars", psf.fwhmMajor, psf.fwhmMinor, psf.angle, psf.beta, psf.starCount))
                }
            } catch PostProcessingError.insufficientData(let why) {
                notes.append("deconvolution skipped: \(why)")
            }
            if let measured = psf {
                let (sharp, r) = timed("Deconvolution") { () -> ((Image, DeconvolutionReport), String) in
                    let result = Deconvolution.apply(to: luminance ?? rgb, psf: measured, parameters: parameters.deconvolutionParameters)
                    return (result, String(format: "%d iterations, %.3f s each, last change %.4f, %d stars protected", result.report.iterationsRun,
                                           result.report.secondsPerIteration, result.report.lastChange, result.report.protectedStars))
                }
                report = r
                before = target
                after = luminance == nil ? Image(width: sharp.width, height: sharp.height, samples: sharp.channelMean()) : sharp
                if luminance != nil { luminance = sharp } else { rgb = sharp }
            }
        }

        // Stretch, then LRGB.
        let stretchedRGB = timed("Stretch RGB") { (stretch(rgb, parameters), parameters.stretch.rawValue) }
        var final = stretchedRGB
        if let l = luminance {
            let stretchedL = timed("Stretch L") { (stretch(l, parameters), parameters.stretch.rawValue) }
            final = try timed("LRGBCombination") {
                let result = try LRGBCombination.combine(luminance: stretchedL, rgb: stretchedRGB, parameters: parameters.lrgb)
                notes += result.notes
                return (result.image, String(format: "lightness %.2f, saturation %.2f", parameters.lrgb.lightness, parameters.lrgb.saturation))
            }
        }
        return FinishProducts(rgbLinear: rgbLinear, final: final, hasLuminance: luminance != nil, psf: psf, deconvolution: report,
                              beforeDeconvolution: before, afterDeconvolution: after, crop: [crop.x, crop.y, crop.width, crop.height],
                              steps: steps, notes: notes)
    }

    static func stretch(_ image: Image, _ parameters: FinishParameters) -> Image {
        switch parameters.stretch {
        case .auto: AutoStretch.apply(to: image, parameters: parameters.autoStretch)
        case .arcsinh: ArcsinhStretch.apply(to: image, parameters: parameters.arcsinh)
        case .histogram: parameters.histogram.applied(to: image)
        }
    }
}
