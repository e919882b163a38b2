import Foundation
import LerarCore
import LerarIO
import LerarRegistration

/// Local Normalization parameters (shared/reference/local-normalization.md §2).
public struct LocalNormalizationParameters: Sendable, Codable, Equatable {
    /// Normalization scale, px: background structures smaller than this are left alone (PixInsight LN 2: 1024; it is
    /// reduced to half the short side of smaller frames, PixInsight's minimum ratio).
    public var scale = 1024
    /// Added to reference and targets alike, ADU (of 65535), so that faint subs never go negative.
    public var pedestalADU = 0.0
    /// Match the stars' signal too (A1 = s), or only the background (A1 = 1, PixInsight's noScale).
    public var scaleSignal = true
    /// What counts as data (PixInsight 4.5e-5 / 0.85).
    public var clipping = LargeScaleBackground.Clipping()
    /// Fewest stars for a signal scale; below it the frame is normalized additively and says so.
    public var minimumStars = 8

    public init() {}

    /// The scale used on a `width`×`height` frame.
    public func effectiveScale(width: Int, height: Int) -> Int { max(32, min(scale, min(width, height) / 2)) }
}

/// Per-frame normalization: value' = offset(x, y) + scale·value per channel, where offset = RB − s·TB + pedestal.
/// Pixels without data (NaN or exactly 0) stay NaN.
public struct LocalNormalizationFunction: Sendable, Codable {
    public var target: String
    public var reference: String
    /// A0 per channel, image units (the pedestal included).
    public var offsets: [SurfaceGrid]
    /// A1 per channel: the global relative signal scale.
    public var scales: [Double]
    /// Stars the scale of each channel rests on (0: additive only).
    public var scaleStars: [Int]
    public var notes: [String]

    /// Applies the function to rows `rows` of channel `channel`, in place.
    public func apply(channel: Int, rows: Range<Int>, values: UnsafeMutableBufferPointer<Float>) {
        let width = offsets[channel].width, s = Float(scales[channel])
        let surface = UnsafeMutableBufferPointer<Float>.allocate(capacity: rows.count * width)
        defer { surface.deallocate() }
        offsets[channel].render(rows: rows, into: surface)
        for i in 0..<(rows.count * width) {
            let v = values[i]
            values[i] = v.isFinite && v != 0 ? surface[i] + s * v : .nan
        }
    }

    /// The normalized image (`_n`).
    public func apply(to image: Image) -> Image {
        var output = image
        for channel in 0..<image.channelCount {
            output.withMutableChannel(channel) { plane in
                let shared = UnsafeSendable(plane)
                Parallel.forEachChunk(count: image.height, minimumChunkSize: 16) { rows in
                    apply(channel: channel, rows: rows, values: UnsafeMutableBufferPointer(rebasing: shared.value[(rows.lowerBound * image.width)..<(rows.upperBound * image.width)]))
                }
            }
        }
        output.sourceSampleFormat = .float32
        return output
    }
}

/// A reference analysed once for many targets: its stars, its background grid and what it lacks.
public struct LocalNormalizationReference: Sendable {
    public let path: String
    public let image: Image
    public let parameters: LocalNormalizationParameters
    /// Cell size of the background models, px.
    public let spacing: Int
    public let stars: [DetectedStar]
    public let fwhm: Double
    public let missing: MissingData

    public init(path: String, image: Image, parameters: LocalNormalizationParameters) throws {
        self.path = path
        self.image = image
        self.parameters = parameters
        let scale = parameters.effectiveScale(width: image.width, height: image.height)
        let spacing = LargeScaleBackground.spacing(scale: scale, width: image.width, height: image.height)
        self.spacing = spacing
        missing = MissingData(image, clipping: parameters.clipping)
        // A reference without background anywhere (all clipped) fails here, once, rather than for every target.
        for channel in 0..<image.channelCount {
            let (surface, _) = image.withChannel(channel) { LargeScaleBackground.model($0, width: image.width, height: image.height, spacing: spacing, clipping: parameters.clipping) }
            guard surface.values.allSatisfy(\.isFinite) else {
                throw NormalizationError.insufficientData(path: path, detail: "no background samples in channel \(channel)")
            }
        }
        // Stars with the registrar's finder on the channel mean, NaN/zero areas excluded by the finder's checks.
        var clean = image
        clean.withMutableSamples { for i in 0..<$0.count where $0[i] == 0 { $0[i] = .nan } }
        stars = Registrar().analyze(clean).stars
        fwhm = BackgroundGrid.median(stars.prefix(200).map(\.fwhm))
    }

    /// The function that normalizes `target` (registered to this reference) to it. `targetFWHM` (px) sizes the
    /// photometry apertures when the caller has measured it; otherwise the target's stars are found for it.
    public func function(for target: Image, path targetPath: String, targetFWHM: Double? = nil) throws -> LocalNormalizationFunction {
        guard target.width == image.width, target.height == image.height, target.channelCount == image.channelCount else {
            throw NormalizationError.geometryMismatch(path: targetPath,
                detail: "\(target.width)×\(target.height)×\(target.channelCount), reference \(image.width)×\(image.height)×\(image.channelCount)")
        }
        let pedestal = parameters.pedestalADU / 65535
        var offsets: [SurfaceGrid] = [], scales: [Double] = [], used: [Int] = [], notes: [String] = []
        if !missing.isEmpty { notes.append("reference: \(missing.summary) masked out of the fit; the surfaces are filled across them") }
        let targetStarsFWHM = !parameters.scaleSignal ? .nan
            : targetFWHM ?? BackgroundGrid.median(Registrar().analyze(target).stars.prefix(200).map(\.fwhm))
        for channel in 0..<image.channelCount {
            var s = 1.0, count = 0
            if parameters.scaleSignal {
                let fwhm = max(self.fwhm.isFinite ? self.fwhm : 3, targetStarsFWHM.isFinite ? targetStarsFWHM : 3)
                let estimate = image.withChannel(channel) { r in
                    target.withChannel(channel) { t in
                        StarPhotometry.relativeScale(reference: r, target: t, width: image.width, height: image.height, stars: stars, fwhm: fwhm,
                                                     saturation: Double(parameters.clipping.high) * 0.9, minimumStars: parameters.minimumStars)
                    }
                }
                if let estimate { (s, count) = (estimate.scale, estimate.stars) } else if channel == 0 {
                    notes.append("fewer than \(parameters.minimumStars) stars measurable in reference and target: background matched, signal scale left at 1")
                }
            }
            // A0 = LS(R − s·T), the large-scale background of the difference, rather than LS(R) − s·LS(T): whatever
            // is real signal in both (a galaxy's disc, a nebula) cancels pixel by pixel before any cell is modelled,
            // so no data-dependent rejection of cells can treat it differently in the two models and leave a halo.
            let (offset, missingCells) = differenceBackground(target: target, channel: channel, scale: s)
            guard offset.values.allSatisfy(\.isFinite) else {
                throw NormalizationError.insufficientData(path: targetPath, detail: "no background samples in channel \(channel)")
            }
            if missingCells > 0 && channel == 0 { notes.append("\(missingCells) of \(offset.values.count) background cells without data (borders): filled from their neighbours") }
            offsets.append(SurfaceGrid(width: offset.width, height: offset.height, spacing: offset.spacing, values: offset.values.map { $0 + pedestal }))
            scales.append(s)
            used.append(count)
        }
        guard offsets.allSatisfy({ $0.values.allSatisfy(\.isFinite) }), scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw NormalizationError.insufficientData(path: targetPath, detail: "normalization surfaces are not finite")
        }
        return LocalNormalizationFunction(target: targetPath, reference: path, offsets: offsets, scales: scales, scaleStars: used, notes: notes)
    }

    /// The large-scale model of R − s·T on this reference's cell grid, and how many cells had no data. Pixels that
    /// are no data in either image (NaN, zero, clipped) are left out; the difference itself may be any sign.
    func differenceBackground(target: Image, channel: Int, scale s: Double) -> (surface: SurfaceGrid, missingCells: Int) {
        let clipping = parameters.clipping, count = image.width * image.height
        // Every sample is written by the parallel loop (NaN where either image has no data): no fill of a whole
        // frame on the calling thread first.
        let difference = [Float](unsafeUninitializedCapacity: count) { d, initialized in
            image.withChannel(channel) { r in
                target.withChannel(channel) { t in
                    let shared = UnsafeSendable((d, r, t)), fs = Float(s)
                    Parallel.forEachChunk(count: count, minimumChunkSize: 1 << 16) { range in
                        let (d, r, t) = shared.value
                        for i in range { d[i] = clipping.isData(r[i]) && clipping.isData(t[i]) ? r[i] - fs * t[i] : .nan }
                    }
                }
            }
            initialized = count
        }
        var anyValue = LargeScaleBackground.Clipping()
        (anyValue.low, anyValue.high) = (-.infinity, .infinity)
        return difference.withUnsafeBufferPointer {
            LargeScaleBackground.model($0, width: image.width, height: image.height, spacing: spacing, clipping: anyValue)
        }
    }
}

public enum NormalizationError: Error, LocalizedError {
    case geometryMismatch(path: String, detail: String)
    case insufficientData(path: String, detail: String)
    case wrongPanel(path: String, detail: String)
    case badParameter(String)

    public var errorDescription: String? {
        switch self {
        case let .geometryMismatch(path, detail): "\(path): not registered to the reference: \(detail)"
        case let .insufficientData(path, detail): "\(path): cannot normalize: \(detail)"
        case let .wrongPanel(path, detail): "\(path): \(detail)"
        case let .badParameter(detail): detail
        }
    }
}
