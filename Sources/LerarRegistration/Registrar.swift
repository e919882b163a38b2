import Foundation
import LerarCore
import LerarIO

/// Registers frames to a reference: stars detected in each, matched by pairs of bright stars with voting (any
/// rotation, 180° meridian flips included; mirrored frames tried as such), a least-squares affine refit on all matched
/// stars, then resampling into the reference's geometry. Frames that cannot be registered are skipped with the reason.
public struct Registrar: Sendable {
    public struct Parameters: Sendable, Codable, Equatable {
        public var interpolation = Resampler.Interpolation.lanczos3
        /// Map fitted to the matched stars (affine, as Siril's default; similarity for rigid set-ups, homography for
        /// wide fields).
        public var model = TransformModel.affine
        /// Lanczos/bicubic clamping threshold (PixInsight 0.3).
        public var clampingThreshold = 0.3
        /// Detection threshold in background σ.
        public var detectionSigma = 5.0
        /// Fewest matched stars for a registration to count.
        public var minimumMatches = 8
        /// Write 0 instead of NaN where a frame has no data (for PixInsight and Siril, which read 0 as no data).
        public var noDataAsZero = false
        public var outputExtension = "xisf"

        public init() {}
    }

    public struct FrameReport: Sendable, Codable {
        public var path: String
        public var output: String?
        public var stars: Int
        public var matched: Int
        /// RMS of matched star positions after the fit, px.
        public var rms: Double?
        /// Maps this frame's px to the reference's px.
        public var transform: ProjectiveTransform2D?
        public var mirrored: Bool
        public var rotationDegrees: Double?
        /// This frame's star flux over the reference's, the median over matched stars (the brightest tenth of the
        /// reference's left out: saturation clips them differently in each frame); what normalization will divide by.
        public var fluxScale: Double? = nil
        /// Noise σ of the registered frame (its channel mean; wavelet estimate over row bands), image units:
        /// interpolation smooths each frame by its own amount, and this is the noise the stack averages.
        public var pixelNoise: Double? = nil
        /// Why the frame was skipped.
        public var failure: String?
    }

    public let parameters: Parameters

    public init(parameters: Parameters = Parameters()) { self.parameters = parameters }

    /// An image's star-work view: the channel mean, its background model and noise, and the stars, brightest first.
    public struct StarField: Sendable {
        public var plane: [Float]
        public var background: BackgroundGrid
        /// Robust σ of the background residuals, image units.
        public var noise: Double
        public var stars: [DetectedStar]
    }

    /// Background, noise and stars of `image` (mean of the channels for colour).
    public func analyze(_ image: Image) -> StarField {
        let plane = image.channelMean()
        let background = BackgroundGrid(plane: plane, width: image.width, height: image.height, cellSize: max(32, min(image.width, image.height) / 16))
        let residual = background.residual(of: plane, width: image.width, height: image.height)
        let noise = BackgroundGrid.residualSigma(ofResidual: residual, width: image.width, height: image.height)
        let stars = SimpleStarFinder.find(plane: plane, width: image.width, height: image.height, background: background,
                                          sigma: max(noise, 1e-12), threshold: parameters.detectionSigma, residual: residual).sorted { $0.flux > $1.flux }
        return StarField(plane: plane, background: background, noise: noise, stars: stars)
    }

    /// Stars of `image`, brightest first.
    public func stars(in image: Image) -> [DetectedStar] { analyze(image).stars }

    /// Transform from `frame` stars to `reference` stars (trying the frame mirrored if it does not match as it is).
    public func solve(frame: [DetectedStar], width: Int, reference: [DetectedStar]) -> (StarMatcher.Match, mirrored: Bool)? {
        let target = reference.map { ($0.x, $0.y) }
        if let match = StarMatcher.match(image: frame.map { ($0.x, $0.y) }, catalogue: target, model: parameters.model),
           match.pairs.count >= parameters.minimumMatches {
            return (match, false)
        }
        let flip = AffineTransform2D(a: -1, b: 0, c: Double(width - 1), d: 0, e: 1, f: 0)
        if var match = StarMatcher.match(image: frame.map { flip.apply($0.x, $0.y) }, catalogue: target, model: parameters.model),
           match.pairs.count >= parameters.minimumMatches {
            match.transform = match.transform.concatenating(ProjectiveTransform2D(flip))
            return (match, true)
        }
        return nil
    }

    /// A registration reference: its stars and frame size.
    public struct Reference: Sendable {
        public let path: String
        public let width: Int, height: Int
        public let stars: [DetectedStar]
    }

    /// Reads and analyses a reference; refuses one with too few stars.
    public func reference(_ referencePath: String) throws -> Reference { try reference(ImageFile.read(referencePath), path: referencePath) }

    /// Analyses a reference already in memory (`path` names it in the frames' history).
    public func reference(_ image: Image, path referencePath: String) throws -> Reference {
        let found = stars(in: image)
        guard found.count >= parameters.minimumMatches else {
            throw RegistrationError.badReference(path: referencePath, reason: "only \(found.count) stars detected")
        }
        return Reference(path: referencePath, width: image.width, height: image.height, stars: found)
    }

    /// Registers `paths` to `reference` (a path among them or another file); writes `<stem>_r.<ext>` into `folder`.
    /// `workers`: whole frames registered at once (see `Parallel.frameWorkers`); the loops inside use every core.
    public func register(paths: [String], reference referencePath: String, outputFolder folder: String, overwrite: Bool,
                         workers: Int = Parallel.coreCount, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> [FrameReport] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let reference = try reference(referencePath)
        let reports = UnsafeMutableBufferPointer<FrameReport?>.allocate(capacity: paths.count)
        reports.initialize(repeating: nil)
        defer { reports.deallocate() }
        let shared = UnsafeSendable(reports), errors = FirstError(), done = Tally()
        Parallel.forEach(iterations: paths.count, workers: workers) { index in
            do {
                shared.value[index] = try register(path: paths[index], to: reference, outputFolder: folder, overwrite: overwrite)
            } catch { errors.record(error) }
            progress?(done.next(), paths.count)
        }
        if let error = errors.first { throw error }
        return reports.compactMap { $0 }
    }

    /// Registers one frame: finds its stars, matches them to the reference's and resamples it onto the reference
    /// grid as `<stem>_r.<ext>` in `folder`. A frame that cannot be matched comes back with `failure` set.
    /// `knownStars`: the frame's stars from an earlier analysis with these parameters (saves finding them again).
    public func register(path: String, to reference: Reference, outputFolder folder: String, overwrite: Bool,
                         knownStars: [DetectedStar]? = nil) throws -> FrameReport {
        let output = OutputLayout.path(of: path, adding: .registered, extension: parameters.outputExtension, in: folder)
        var (report, registered) = register(try ImageFile.read(path), path: path, to: reference, knownStars: knownStars)
        guard let registered else { return report }
        try ImageFile.write(registered, to: output, options: ImageWriteOptions(sampleFormat: .float32, overwrite: overwrite))
        report.output = output
        return report
    }

    /// Registers one frame in memory: the report and the frame resampled onto the reference grid (nil when it cannot
    /// be matched: `failure` says why). The report's `output` is left for the caller to set where it keeps the frame.
    public func register(_ image: Image, path: String, to reference: Reference, knownStars: [DetectedStar]? = nil) -> (FrameReport, Image?) {
        let found = knownStars ?? stars(in: image)
        var report = FrameReport(path: path, stars: found.count, matched: 0, mirrored: false)
        guard found.count >= 3 else {
            report.failure = "only \(found.count) stars detected (starless, clouded or out of focus)"
            return (report, nil)
        }
        guard let (match, mirrored) = solve(frame: found, width: image.width, reference: reference.stars),
              let referenceToFrame = match.transform.inverted else {
            report.failure = "no star pattern in common with the reference (\(found.count) stars detected, fewer than \(parameters.minimumMatches) matched)"
            return (report, nil)
        }
        let resampler = Resampler(interpolation: parameters.interpolation, clampingThreshold: parameters.clampingThreshold)
        // The affine case skips the per-pixel division of the projective one.
        var registered = if let affine = referenceToFrame.affine {
            resampler.resample(image, outputToSource: affine, width: reference.width, height: reference.height)
        } else {
            resampler.resample(image, outputToSource: referenceToFrame, width: reference.width, height: reference.height)
        }
        if parameters.noDataAsZero { registered.withMutableSamples { for i in 0..<$0.count where $0[i].isNaN { $0[i] = 0 } } }
        let t = match.transform
        registered.metadata.addHistory(String(format: "%@ register: to %@, %@, %d stars, rms %.3f px, matrix %@%@",
                                              LerarVersion.application, URL(fileURLWithPath: reference.path).lastPathComponent,
                                              parameters.model.rawValue, match.pairs.count, match.rms,
                                              t.matrix.map { String(format: "%.9g", $0) }.joined(separator: " "), mirrored ? " (mirrored)" : ""))
        registered.sourceSampleFormat = .float32
        report.matched = match.pairs.count
        report.rms = match.rms
        report.transform = t
        report.mirrored = mirrored
        report.rotationDegrees = t.rotationDegrees
        report.fluxScale = Self.fluxScale(match.pairs, frame: found, reference: reference.stars)
        let plane = registered.channelCount == 1 ? registered.samples : registered.channelMean()
        let noise = plane.withUnsafeBufferPointer { WaveletNoise.sampledSigma($0, width: registered.width, height: registered.height) }
        report.pixelNoise = noise.isFinite && noise > 0 ? noise : nil
        return (report, registered)
    }

    /// Median flux ratio of matched stars, frame over reference, leaving out the reference's brightest tenth
    /// (saturated or nearly so) and stars without positive flux; nil with fewer than 5 usable pairs.
    public static func fluxScale(_ pairs: [(Int, Int)], frame: [DetectedStar], reference: [DetectedStar]) -> Double? {
        let bright = reference.map(\.flux).sorted(by: >)
        let ceiling = bright.isEmpty ? .infinity : bright[min(bright.count - 1, bright.count / 10)]
        let ratios = pairs.compactMap { (i, j) -> Double? in
            guard i < frame.count, j < reference.count else { return nil }
            let f = frame[i].flux, r = reference[j].flux
            guard f > 0, r > 0, r < ceiling else { return nil }
            return f / r
        }
        guard ratios.count >= 5 else { return nil }
        return BackgroundGrid.median(ratios)
    }

    /// The best frame as reference when none is given: most stars per unit of FWHM² (sharp and transparent).
    public func bestReference(_ paths: [String]) throws -> String {
        var best: (String, Double)?
        for path in paths {
            let found = stars(in: try ImageFile.read(path))
            let fwhm = found.map(\.fwhm).sorted()
            guard !fwhm.isEmpty else { continue }
            let score = Double(found.count) / pow(fwhm[fwhm.count / 2], 2)
            if score > (best?.1 ?? -1) { best = (path, score) }
        }
        guard let best else { throw RegistrationError.badReference(path: paths.first ?? "", reason: "no frame has stars") }
        return best.0
    }
}

public enum RegistrationError: Error, LocalizedError {
    case badReference(path: String, reason: String)
    case allFailed(String)

    public var errorDescription: String? {
        switch self {
        case let .badReference(path, reason): "\(path): cannot serve as reference: \(reason)"
        case let .allFailed(reason): "no frame could be registered: \(reason)"
        }
    }
}
