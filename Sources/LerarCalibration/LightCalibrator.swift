import Foundation
import LerarCore
import LerarIO

/// Calibrates lights: (light − B − k·(D − B)) / (F / mean F) + pedestal, with k = 1, the exposure ratio of a
/// scaled dark, or the noise-minimising factor; invalid flat pixels are left uncorrected (and counted); optional
/// cosmetic correction of hot, cold and dead pixels.
public struct LightCalibrator: Sendable {
    public struct Report: Sendable, Codable {
        public var input: String, output: String
        /// Dark factor per channel (1 when the dark has the light's exposure).
        public var darkFactors: [Double]
        public var pedestal: Double
        public var invalidFlatPixels: Int
        public var correctedPixels: Int
        public var warnings: [String]

        public init(input: String, output: String, darkFactors: [Double], pedestal: Double, invalidFlatPixels: Int, correctedPixels: Int, warnings: [String]) {
            (self.input, self.output, self.darkFactors, self.pedestal) = (input, output, darkFactors, pedestal)
            (self.invalidFlatPixels, self.correctedPixels, self.warnings) = (invalidFlatPixels, correctedPixels, warnings)
        }
    }

    public let parameters: CalibrationParameters
    /// The masters the arithmetic reads: the bias and dark as given (the dark only when there is no dark current to
    /// use instead); the flat is kept only normalized, so each master is held once.
    let bias: Image?, dark: Image?
    /// Width × height of every master given, checked against each light.
    let masterSizes: [(width: Int, height: Int)]
    /// Fixed dark factor (exposure ratio) when the dark is scaled and not optimised.
    let darkScale: Double?
    /// Dark current (dark − bias) when a bias is there, for scaling and optimisation.
    let darkCurrent: Image?
    let normalizedFlat: Image?
    let invalidFlat: Int
    let defects: DefectMap?
    let optimizing: [[Int]]?
    let cfa: Bool
    public private(set) var warnings: [String] = []

    /// Throws `CalibrationError.unusableMaster` (path "master flat") when a flat channel's level is not positive.
    public init(bias: Image?, dark: Image?, flat: Image?, darkScale: Double? = nil, cfa: Bool = false, parameters: CalibrationParameters) throws {
        self.parameters = parameters
        self.bias = bias
        masterSizes = [bias, dark, flat].compactMap { $0 }.map { ($0.width, $0.height) }
        self.darkScale = darkScale
        self.cfa = cfa
        var warnings: [String] = []
        if let dark, let bias {
            var current = dark
            current.withMutableSamples { d in bias.withSamples { b in for i in 0..<d.count { d[i] -= b[i % b.count] } } }
            darkCurrent = current
            self.dark = nil
        } else {
            self.dark = dark
            darkCurrent = nil
            if darkScale != nil { warnings.append("a scaled dark needs a master bias; the dark is used unscaled") }
            if parameters.optimizeDark && dark != nil { warnings.append("dark optimization needs a master bias; the dark is used as it is") }
        }
        if let flat {
            let (normalized, invalid) = try Self.normalize(flat: flat, floor: parameters.flatFloor, cfa: cfa)
            normalizedFlat = normalized
            invalidFlat = invalid
            if invalid > 0 { warnings.append("\(invalid) master-flat pixels are zero, negative or below \(parameters.flatFloor) of the mean: left without flat correction") }
        } else {
            normalizedFlat = nil
            invalidFlat = 0
        }
        if parameters.cosmeticCorrection, let reference = dark ?? flat ?? bias {
            let current = darkCurrent.map { Array($0.samples.prefix($0.pixelCount)) } ?? dark.map { Array($0.samples.prefix($0.pixelCount)) }
            defects = DefectMap(darkCurrent: current, flat: flat.map { Array($0.samples.prefix($0.pixelCount)) }, width: reference.width,
                                height: reference.height, hotSigma: parameters.hotSigma, coldFraction: parameters.coldFraction, cfa: cfa)
        } else {
            defects = nil
        }
        if parameters.optimizeDark, let current = darkCurrent {
            optimizing = (0..<current.channelCount).map { c in
                current.withChannel(c) { DarkOptimizer.optimizingPixels(darkCurrent: Array($0), low: parameters.darkOptimizationLow) ?? [] }
            }
            if optimizing?.contains(where: \.isEmpty) == true { warnings.append("too few hot-ish dark pixels to optimise the dark; factor 1 used") }
        } else {
            optimizing = nil
        }
        self.warnings = warnings
    }

    /// The flat divided by its trimmed mean (5 % cut at each end, per CFA colour for one-shot-colour flats); samples
    /// below `floor` or not finite become 1 and are counted. A level that is not positive throws: dividing by it
    /// would turn the vignetting and dust over (a negative flat over its negative mean is positive again) and
    /// pass silently — flats stored as signed 16-bit without BZERO 32768 read that way.
    static func normalize(flat: Image, floor: Double, cfa: Bool) throws -> (Image, Int) {
        var normalized = flat
        var invalid = 0
        let width = flat.width, height = flat.height
        for channel in 0..<flat.channelCount {
            try normalized.withMutableChannel(channel) { plane in
                guard cfa else {
                    let mean = try usableLevel(RobustStatistics.trimmedMean(UnsafeBufferPointer(plane), cut: 0.05), channel: channel, of: flat)
                    invalid += divide(plane, by: mean, floor: floor, rows: Array(0..<height), column: 0, width: width, step: 1)
                    return
                }
                for phase in 0..<4 {
                    let (column, row) = (phase & 1, phase >> 1)
                    var values = [Float]()
                    values.reserveCapacity(((width + 1) / 2) * ((height + 1) / 2))
                    for y in stride(from: row, to: height, by: 2) { for x in stride(from: column, to: width, by: 2) { values.append(plane[y * width + x]) } }
                    let mean = try usableLevel(values.withUnsafeBufferPointer { RobustStatistics.trimmedMean($0, cut: 0.05) }, channel: channel, of: flat,
                                               phase: "CFA position (\(column), \(row))")
                    invalid += divide(plane, by: mean, floor: floor, rows: Array(Swift.stride(from: row, to: height, by: 2)),
                                      column: column, width: width, step: 2)
                }
            }
        }
        return (normalized, invalid)
    }

    /// `level` when it is positive and finite, else the error that says what it is and what usually causes it.
    private static func usableLevel(_ level: Double, channel: Int, of flat: Image, phase: String? = nil) throws -> Double {
        guard level.isFinite, level > 0 else {
            let place = (flat.channelCount > 1 ? "channel \(channel) " : "") + (phase.map { "at \($0) " } ?? "")
            let value = level.isFinite ? String(format: "%.4g of full scale (%.0f ADU)", level, level * 65535) : "\(level)"
            throw CalibrationError.unusableMaster(path: "master flat", reason: "its level \(place)is \(value), and a flat must be positive: "
                + "flats stored as signed 16-bit without BZERO 32768, or a bias or dark-flat brighter than the flats?")
        }
        return level
    }

    /// Divides the samples of columns `column`, `column + step`, … of `rows` by `mean`; those whose ratio is below
    /// `floor` or not finite become 1. Returns how many did.
    private static func divide(_ plane: UnsafeMutableBufferPointer<Float>, by mean: Double, floor: Double,
                               rows rowList: [Int], column: Int, width: Int, step: Int) -> Int {
        let shared = UnsafeSendable(plane)
        let counts = Parallel.mapChunks(count: rowList.count, minimumChunkSize: 16) { range -> Int in
            var invalid = 0
            for r in range {
                let start = rowList[r] * width
                for i in stride(from: start + column, to: start + width, by: step) {
                    let v = Double(shared.value[i]) / mean
                    if !(v >= floor) || !v.isFinite { shared.value[i] = 1; invalid += 1 } else { shared.value[i] = Float(v) }
                }
            }
            return invalid
        }
        return counts.reduce(0, +)
    }

    /// The calibrated light (Float32 samples) and its dark factor per channel. `darkFactors`: the factors an earlier
    /// calibration of the same light found, so a recalibration skips the optimisation and gives the same samples.
    public func calibrate(_ input: consuming Image, darkFactors known: [Double]? = nil) throws -> (Image, [Double]) {
        // Consumed, so the light's samples are calibrated in place: one image per frame in flight, not seven planes.
        var light = input
        let overscanApplies = OverscanCorrection.applies(to: light.metadata)
        if parameters.overscan && overscanApplies {
            light = try OverscanCorrection.apply(light, smoothing: parameters.overscanSmoothing)
        }
        // A pedestal added by earlier processing (MaxIm, PixInsight) comes out first, so only ours remains.
        if let earlier = light.metadata.acquisition.pedestal, earlier != 0 {
            let offset = Float(earlier / 65535)
            light.withMutableSamples { samples in for i in 0..<samples.count { samples[i] -= offset } }
        }
        for master in masterSizes where master.width != light.width || master.height != light.height {
            throw CalibrationError.badOverrides(path: "light", reason: "light is \(light.width)×\(light.height), a master is \(master.width)×\(master.height)"
                                                + (overscanApplies != parameters.overscan ? " (overscan trimming differs: build masters and calibrate with the same --overscan)" : ""))
        }
        var factors: [Double] = []
        let pedestal = Float(parameters.pedestal / 65535)
        let width = light.width
        for channel in 0..<light.channelCount {
            var k = 1.0
            if let known, known.count == light.channelCount {
                k = known[channel]
            } else if let pixels = optimizing?[min(channel, optimizing!.count - 1)], !pixels.isEmpty, let current = darkCurrent, let b = bias {
                k = light.withChannel(channel) { lightPlane in
                    b.withChannel(min(channel, b.channelCount - 1)) { biasPlane in
                        current.withChannel(min(channel, current.channelCount - 1)) {
                            DarkOptimizer.factor(light: lightPlane, bias: biasPlane, darkCurrent: $0, pixels: pixels, width: width)
                        }
                    }
                }
            } else if let scale = darkScale, darkCurrent != nil {
                k = scale
            }
            factors.append(k)
            let kf = Float(k)
            light.withMutableChannel(channel) { plane in
                Self.withPlane(bias, channel) { b in Self.withPlane(darkCurrent, channel) { current in
                Self.withPlane(dark, channel) { d in Self.withPlane(normalizedFlat, channel) { f in
                    let out = UnsafeSendable(plane), masters = UnsafeSendable((b, current, d, f))
                    Parallel.forEachChunk(count: plane.count) { range in
                        let (b, current, d, f) = masters.value
                        for i in range {
                            var v = out.value[i]
                            if let current, let b { v -= b[i] + kf * current[i] }
                            else if let d { v -= d[i] }
                            else if let b { v -= b[i] }
                            if let f { v /= f[i] }
                            out.value[i] = v + pedestal
                        }
                    }
                } } } }
                if let defects { defects.repair(plane, cfa: cfa) }
            }
        }
        light.metadata.removeKeyword("PEDESTAL")
        if parameters.pedestal != 0 {
            light.metadata.setKeyword(.number("PEDESTAL", parameters.pedestal, comment: "Value in DN added to enforce positivity"))
        }
        light.sourceSampleFormat = .float32
        return (light, factors)
    }

    /// `channel`'s plane of a master (its only one for a mono master), or nil without that master.
    private static func withPlane<R>(_ image: Image?, _ channel: Int, _ body: (UnsafeBufferPointer<Float>?) -> R) -> R {
        guard let image else { return body(nil) }
        return image.withChannel(min(channel, image.channelCount - 1)) { body($0) }
    }

    /// Pixels the cosmetic correction replaces (0 without it).
    public var defectCount: Int { defects?.count ?? 0 }
    public var invalidFlatPixels: Int { invalidFlat }
}
