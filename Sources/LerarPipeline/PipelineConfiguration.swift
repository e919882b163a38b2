import Foundation
import LerarCalibration
import LerarDebayer
import LerarIntegration
import LerarNormalization
import LerarPostProcessing
import LerarRegistration

/// Every stage's settings for `lerar run`, read from a YAML (or JSON) file. Keys left out keep their defaults; an
/// unknown key is an error (a typo must not silently run with the default). Defaults and their sources are listed in
/// `PipelineConfigurationDocumentation`.
public struct PipelineConfiguration: Sendable, Codable, Equatable {
    public struct Link: Sendable, Codable, Equatable {
        public var groupBy: [String] = []
        public var temperatureTolerance = LinkRules().temperatureTolerance
        public var typeFrom = LinkRules().typeFrom
        public var flatsPerNight = LinkRules().flatsPerNight
        public var minimumFrames = LinkRules().minimumFrames
        public var overrides: String?
        public var allowMissing = false

        /// The linking rules these settings make.
        public var rules: LinkRules {
            LinkRules(temperatureTolerance: temperatureTolerance, groupBy: groupBy, typeFrom: typeFrom, flatsPerNight: flatsPerNight,
                      minimumFrames: minimumFrames)
        }
    }

    public struct Calibration: Sendable, Codable, Equatable {
        /// Lights must have every master they need (false: register and integrate them with what there is, warned).
        public var required = true
        /// Subtract the overscan (BIASSEC) and trim to TRIMSEC/DATASEC, frames and masters alike.
        public var overscan = false
        public var pedestal = CalibrationParameters().pedestal
        public var optimizeDark = CalibrationParameters().optimizeDark
        /// On in `run` (WBPP's default with a master dark); `lerar calibrate` leaves it off unless asked, so a
        /// single step does only what it is told.
        public var cosmeticCorrection = true
        public var hotSigma = CalibrationParameters().hotSigma
        public var coldFraction = CalibrationParameters().coldFraction
    }

    public struct Selection: Sendable, Codable, Equatable {
        public var minimumWeight = 0.05
        public var minimumStars = 8
        public var minimumDataFraction = 0.5
        public var maximumFWHM: Double?
    }

    public struct Registration: Sendable, Codable, Equatable {
        public var model = Registrar.Parameters().model
        public var interpolation = Registrar.Parameters().interpolation
        public var clampingThreshold = Registrar.Parameters().clampingThreshold
        public var reference: String?
        public var panelKeywords = PanelIdentity.defaultKeys
    }

    public struct Normalization: Sendable, Codable, Equatable {
        public enum Method: String, Sendable, Codable, CaseIterable { case local, none }
        public var method = Method.local
        public var scale = LocalNormalizationParameters().scale
        public var referenceFrames = ReferenceBuilder.Parameters().best
        /// On in `run` (a flat reference gives a flat stack); `lerar ln-reference` builds it as WBPP does unless
        /// asked (`--flatten`).
        public var flattenReference = true
        public var pedestal = LocalNormalizationParameters().pedestalADU
    }

    public struct Integration: Sendable, Codable, Equatable {
        /// `psf-snr`: (star flux scale / noise)², the SNR of the frame's stars once normalized (PixInsight's PSF SNR,
        /// its flux measured on stars matched to the registration reference); `psf-signal`: PixInsight's PSF Signal
        /// Weight, which also rewards sharp frames; `noise`: inverse noise variance measured on the normalized frames.
        public enum Weights: String, Sendable, Codable, CaseIterable { case psfSNR = "psf-snr", psfSignal = "psf-signal", noise, exposure, none }
        public var combination = IntegrationParameters().combination
        public var rejection = IntegrationParameters().rejection
        public var sigmaLow = IntegrationParameters().sigmaLow, sigmaHigh = IntegrationParameters().sigmaHigh
        public var winsorizationCutoff = IntegrationParameters().winsorizationCutoff
        public var linearFitLow = IntegrationParameters().linearFitLow, linearFitHigh = IntegrationParameters().linearFitHigh
        public var percentileLow = IntegrationParameters().percentileLow, percentileHigh = IntegrationParameters().percentileHigh
        public var weights = Weights.psfSNR
        public var rejectionMaps = true
        public var minimumFrames = 3
        public var autocrop = true
        /// Drizzle scale (0: no drizzle); drop shrink and kernel as `DrizzleParameters`.
        public var drizzle = 0.0
        public var dropShrink = DrizzleParameters().dropShrink
        public var drizzleKernel = DrizzleParameters().kernel
        /// Bayer (CFA) drizzle for one-shot-colour stacks.
        public var drizzleCFA = true
    }

    /// One-shot-colour lights (a BAYERPAT) are debayered after calibration and cosmetic correction.
    public struct Debayer: Sendable, Codable, Equatable {
        public var method = DebayerParameters().method
        public var pattern = DebayerParameters().pattern
    }

    public struct Output: Sendable, Codable, Equatable {
        public var format = "xisf"
        public var keepIntermediates = false
        public var previews = true
        /// MB for frames passed between stages in memory and the integration's pixel stacks together.
        public var memoryBudget = IntegrationParameters().maxMemory >> 20

        /// Bytes of frames the run may hold in memory between stages: three quarters of the budget, the rest for
        /// the integration's band and the LN fits' working images.
        public var heldFrameBytes: Int { keepIntermediates ? 0 : (memoryBudget << 20) / 4 * 3 }
    }

    /// The finish (colour images from the linear masters), each step from `FinishParameters` and its processes' own
    /// Parameters.
    public struct Finish: Sendable, Codable, Equatable {
        public enum Mode: String, Sendable, Codable, CaseIterable { case auto, off }
        public var mode = Mode.auto
        public var linearFit = FinishParameters().linearFit
        public var backgroundNeutralization = FinishParameters().backgroundNeutralization
        public var backgroundRegion = FinishParameters().backgroundRegion
        public var colorCalibration = FinishParameters().colorCalibration
        public var scnr = FinishParameters().scnr
        public var scnrMethod = SCNRParameters().method
        public var scnrAmount = SCNRParameters().amount
        public var deconvolution = FinishParameters().deconvolution
        public var deconvolutionIterations = DeconvolutionParameters().iterations
        public var deringingAmount = DeconvolutionParameters().deringingAmount
        public var stretch = FinishParameters().stretch
        public var targetBackground = AutoStretchParameters().targetBackground
        public var linkedStretch = AutoStretchParameters().linked
        public var shadows = HistogramTransformation().shadows
        public var midtones = HistogramTransformation().midtones
        public var highlights = HistogramTransformation().highlights
        public var arcsinhStretch = ArcsinhStretchParameters().stretch
        public var saturation = LRGBCombinationParameters().saturation
        public var chrominanceNoiseReduction = LRGBCombinationParameters().chrominanceNoiseReduction

        public init() {}

        /// The finish's parameters these settings make.
        public var parameters: FinishParameters {
            var p = FinishParameters()
            p.linearFit = linearFit
            p.backgroundNeutralization = backgroundNeutralization
            p.backgroundRegion = backgroundRegion
            p.colorCalibration = colorCalibration
            p.scnr = scnr
            p.scnrParameters.method = scnrMethod
            p.scnrParameters.amount = scnrAmount
            p.deconvolution = deconvolution
            p.deconvolutionParameters.iterations = deconvolutionIterations
            p.deconvolutionParameters.deringingAmount = deringingAmount
            p.stretch = stretch
            p.autoStretch.targetBackground = targetBackground
            p.autoStretch.linked = linkedStretch
            p.histogram = HistogramTransformation(shadows: shadows, midtones: midtones, highlights: highlights)
            p.arcsinh.stretch = arcsinhStretch
            p.lrgb.saturation = saturation
            p.lrgb.chrominanceNoiseReduction = chrominanceNoiseReduction
            return p
        }
    }

    public var link = Link()
    public var calibration = Calibration()
    public var selection = Selection()
    public var registration = Registration()
    public var normalization = Normalization()
    public var integration = Integration()
    public var debayer = Debayer()
    public var output = Output()
    public var finish = Finish()

    public init() {}

    /// Rejects values no stage can run with, naming the key.
    public func validate() throws {
        func fail(_ key: String, _ why: String) throws { throw PipelineError.badConfiguration(path: nil, reason: "\(key): \(why)") }
        if calibration.pedestal < 0 || calibration.pedestal > 1000 { try fail("calibration.pedestal", "must be 0…1000 ADU") }
        if !(0...1).contains(selection.minimumDataFraction) { try fail("selection.minimumDataFraction", "must be 0…1") }
        if !(0...1).contains(selection.minimumWeight) { try fail("selection.minimumWeight", "must be 0…1 (a fraction of the best frame's weight)") }
        if !(10...20).contains(normalization.referenceFrames) { try fail("normalization.referenceFrames", "must be 10…20") }
        if normalization.scale < 32 { try fail("normalization.scale", "must be at least 32 px") }
        if integration.minimumFrames < 1 { try fail("integration.minimumFrames", "must be at least 1") }
        if link.minimumFrames < 1 { try fail("link.minimumFrames", "must be at least 1") }
        if integration.drizzle != 0 && !(1...4).contains(integration.drizzle) { try fail("integration.drizzle", "is 0 (off) or a scale of 1…4") }
        if !(0.1...1).contains(integration.dropShrink) { try fail("integration.dropShrink", "must be 0.1…1") }
        do { _ = try link.rules.keywords() } catch { try fail("link.groupBy", (error as? LocalizedError)?.errorDescription ?? "\(error)") }
        if !["xisf", "fits"].contains(output.format) { try fail("output.format", "is xisf or fits") }
        if output.memoryBudget < 8 { try fail("output.memoryBudget", "must be at least 8 MB") }
        if !(0...1).contains(finish.scnrAmount) { try fail("finish.scnrAmount", "must be 0…1") }
        if !(1...500).contains(finish.deconvolutionIterations) { try fail("finish.deconvolutionIterations", "must be 1…500") }
        if !(0...1).contains(finish.deringingAmount) { try fail("finish.deringingAmount", "must be 0…1") }
        if !(finish.targetBackground > 0 && finish.targetBackground < 1) { try fail("finish.targetBackground", "must be between 0 and 1") }
        if !(finish.saturation > 0 && finish.saturation < 1) { try fail("finish.saturation", "must be between 0 and 1 (0.5 keeps the colour)") }
        if !(finish.arcsinhStretch > 0) { try fail("finish.arcsinhStretch", "must be positive") }
        if let region = finish.backgroundRegion, region.count != 4 || region[2] <= 0 || region[3] <= 0 {
            try fail("finish.backgroundRegion", "is [x, y, width, height] in the masters' px")
        }
        if !(0..<1).contains(finish.shadows) || !(finish.midtones > 0 && finish.midtones < 1) || !(finish.shadows < finish.highlights && finish.highlights <= 1) {
            try fail("finish.shadows/midtones/highlights", "need 0 ≤ shadows < highlights ≤ 1 and 0 < midtones < 1")
        }
    }

    /// Calibration settings for `LightCalibrator`.
    public var calibrationParameters: CalibrationParameters {
        var p = CalibrationParameters()
        p.pedestal = calibration.pedestal
        p.optimizeDark = calibration.optimizeDark
        p.cosmeticCorrection = calibration.cosmeticCorrection
        p.hotSigma = calibration.hotSigma
        p.coldFraction = calibration.coldFraction
        p.overscan = calibration.overscan
        p.outputExtension = output.format
        return p
    }

    /// Drizzle settings, nil when drizzle is off.
    public var drizzleParameters: DrizzleParameters? {
        integration.drizzle > 0 ? DrizzleParameters(scale: integration.drizzle, dropShrink: integration.dropShrink, kernel: integration.drizzleKernel) : nil
    }

    /// Debayer settings for one-shot-colour lights.
    public var debayerParameters: DebayerParameters { DebayerParameters(method: debayer.method, pattern: debayer.pattern) }

    public var registrationParameters: Registrar.Parameters {
        var p = Registrar.Parameters()
        p.model = registration.model
        p.interpolation = registration.interpolation
        p.clampingThreshold = registration.clampingThreshold
        p.outputExtension = output.format
        return p
    }

    public var localNormalizationParameters: LocalNormalizationParameters {
        var p = LocalNormalizationParameters()
        p.scale = normalization.scale
        p.pedestalADU = normalization.pedestal
        return p
    }

    /// Integration of normalized lights; `weights` maps file names to measured weights for `psf-signal`.
    public func integrationParameters(weights: [String: Double]) -> IntegrationParameters {
        var p = IntegrationParameters.lights
        p.combination = integration.combination
        p.rejection = integration.rejection
        p.sigmaLow = integration.sigmaLow
        p.sigmaHigh = integration.sigmaHigh
        p.winsorizationCutoff = integration.winsorizationCutoff
        p.linearFitLow = integration.linearFitLow
        p.linearFitHigh = integration.linearFitHigh
        p.percentileLow = integration.percentileLow
        p.percentileHigh = integration.percentileHigh
        p.rejectionMaps = integration.rejectionMaps
        p.maxMemory = output.memoryBudget << 20
        // LN functions are applied in the integration's band pass; they were fitted to the frames as stored and put them
        // on the reference's scale with the LN pedestal (WBPP: no pedestal subtraction).
        p.normalization = normalization.method == .local ? .local : .additiveScaling
        p.subtractPedestals = normalization.method != .local
        p.rangeClipLow = normalization.method != .local
        p.weighting = switch integration.weights {
        case .psfSNR, .psfSignal: .table(weights)
        case .noise: .noise
        case .exposure: .exposure
        case .none: .none
        }
        return p
    }
}

public enum PipelineError: Error, LocalizedError {
    case badConfiguration(path: String?, reason: String)
    case brokenLinks(String)
    case noLights(String)
    case outputInsideInput(String)
    case interrupted(String)
    case outputLocked(path: String, holder: String)
    case inputInsideOutput(input: String, output: String)
    case cannotWrite(path: String, reason: String)
    /// A `lerar step` found work of an earlier level missing from the cache.
    case stepNotReady(String)
    /// A step of a cluster run failed: which, and the end of its log.
    case stepFailed(step: String, log: String)

    public var errorDescription: String? {
        switch self {
        case let .badConfiguration(path, reason): (path.map { "\($0): " } ?? "") + "bad configuration: " + reason
        case let .brokenLinks(detail): "calibration links are broken, nothing was processed (use --allow-missing to go on without them):\n" + detail
        case let .noLights(detail): "no lights to process: " + detail
        case let .outputInsideInput(path): "the output folder \(path) is inside an input folder: its results would be catalogued as inputs next time"
        case let .interrupted(stage): "interrupted during \(stage); run the same command again to resume"
        case let .inputInsideOutput(input, output): "the input \(input) is inside the output folder \(output): give the run a folder of its own"
        case let .outputLocked(path, holder): "the output folder \(path) is in use by another lerar run (\(holder)); wait for it to finish or choose another folder"
        case let .cannotWrite(path, reason): "cannot write to \(path): \(reason)"
        case let .stepNotReady(what): "this step needs earlier work that is not done: \(what); run the earlier levels first (`lerar plan` shows what is done)"
        case let .stepFailed(step, log): "\(step) failed; the end of its log:\n\(log)"
        }
    }
}
