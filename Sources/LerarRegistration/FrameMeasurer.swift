import Foundation
import LerarCore
import LerarIO

/// Per-frame quality: stars, PSF (Moffat fits), background, noise, SNR and a PSF-signal weight, for ranking frames,
/// choosing references and weighting the integration.
public struct FrameMeasurement: Sendable, Codable {
    public var path: String
    public var stars: Int
    /// Stars with a good PSF fit.
    public var fittedStars: Int
    /// Median FWHM, px (and arcsec when XPIXSZ and FOCALLEN are known).
    public var fwhm: Double?
    public var fwhmArcsec: Double?
    public var eccentricity: Double?
    /// Median Moffat β.
    public var beta: Double?
    /// Median sky level and robust noise σ, image units.
    public var background: Double, noise: Double
    /// Median fitted star amplitude over the noise.
    public var snr: Double?
    /// PSF signal weight: (Σ flux)·(Σ mean flux) / σ² — higher for sharper, brighter, less noisy frames (after
    /// PixInsight's PSF Signal Weight, without its background-residual term).
    public var weight: Double
    /// 1 = best.
    public var rank: Int = 0
    /// Share of the pixels holding data (finite and not exactly 0), 0…1; nil in measurements made before it existed.
    public var dataFraction: Double?
}

public enum FrameMeasurer {
    /// PSF fits per frame: the brightest isolated unsaturated stars. 50 took `lerar run`'s calibrate stage from
    /// 10.2 s to 7.5 s (24 × 2048²) but changed the PSF-signal ranking enough that an LN reference test lost
    /// quality (worst background difference 0.45 % vs < 0.3 %); kept at 120 until that is understood.
    public static let psfStarLimit = 120

    /// Measures one image; `starLimit` brightest isolated stars are fitted.
    public static func measure(_ image: Image, path: String, starLimit: Int = FrameMeasurer.psfStarLimit) -> FrameMeasurement {
        measure(image, field: Registrar().analyze(image), path: path, starLimit: starLimit)
    }

    /// Measures one image from its star analysis (one analysis serves detection, background, noise — and, for a
    /// caller that keeps it, registration).
    public static func measure(_ image: Image, field: Registrar.StarField, path: String, starLimit: Int = FrameMeasurer.psfStarLimit) -> FrameMeasurement {
        let found = field.stars, plane = field.plane, background = field.background, noise = field.noise
        let saturation = Float(0.98)
        // Lazily: only the first `starLimit` qualifying stars are wanted, so the isolation test (against every star)
        // runs on about that many, after the cheap saturation test, not on all of them (thousands squared).
        let candidates = Array(found.lazy.filter { star in
            plane[Int(star.y.rounded()) * image.width + Int(star.x.rounded())] < saturation
        }.filter { star in
            let reach = 4 * max(star.fwhm, 2)
            return !found.contains { other in
                let dx = other.x - star.x, dy = other.y - star.y
                return other.x != star.x && dx * dx + dy * dy < reach * reach && other.flux > 0.05 * star.flux
            }
        }.prefix(starLimit))
        let shared = UnsafeSendable(plane)
        let fits = Parallel.mapChunks(count: candidates.count, minimumChunkSize: 8) { range -> [PSFFit] in
            range.compactMap { index in
                let star = candidates[candidates.startIndex + index]
                let radius = max(4, Int((2.5 * star.fwhm).rounded(.up)))
                return PSFFit.fit(shared.value, width: image.width, height: image.height, x: star.x, y: star.y, radius: radius, model: .moffat, fwhmGuess: max(1.5, star.fwhm))
            }
        }.flatMap { $0 }.filter { $0.residual < 0.2 }
        func median(_ values: [Double]) -> Double? { values.isEmpty ? nil : BackgroundGrid.median(values) }
        let fwhm = median(fits.map(\.fwhm))
        var arcsec: Double?
        if let fwhm, let pixel = image.metadata.keyword("XPIXSZ")?.doubleValue, let focal = image.metadata.keyword("FOCALLEN")?.doubleValue, focal > 0 {
            let binning = Double(image.metadata.acquisition.binningX ?? 1)
            arcsec = fwhm * 206.265 * pixel * binning / focal
        }
        let totalFlux = fits.reduce(0) { $0 + $1.flux }
        let meanFlux = fits.reduce(0) { $0 + $1.flux / (Double.pi * $1.fwhmMajor * $1.fwhmMinor) }
        let withData = image.withSamples { samples in
            let shared = UnsafeSendable(samples)
            return Parallel.mapChunks(count: samples.count) { range in
                range.reduce(0) { $0 + (shared.value[$1].isFinite && shared.value[$1] != 0 ? 1 : 0) }
            }.reduce(0, +)
        }
        // A frame without data (all NaN, all 0) has no background or noise: 0, never NaN, so results stay encodable.
        let level = background.level.isFinite ? background.level : 0, sigma = noise.isFinite ? noise : 0
        let weight = sigma > 0 ? totalFlux * meanFlux / (sigma * sigma) : 0
        return FrameMeasurement(path: path, stars: found.count, fittedStars: fits.count, fwhm: fwhm, fwhmArcsec: arcsec,
                                eccentricity: median(fits.map(\.eccentricity)), beta: median(fits.compactMap(\.beta)),
                                background: level, noise: sigma, snr: median(fits.map(\.amplitude)).map { $0 / max(sigma, 1e-30) }.flatMap { $0.isFinite ? $0 : nil },
                                weight: weight.isFinite ? weight : 0, dataFraction: Double(withData) / Double(max(1, image.samples.count)))
    }

    /// Measures files in parallel, `workers` frames at once, and ranks them by weight (1 = best).
    public static func measure(paths: [String], workers: Int = Parallel.coreCount,
                               progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> [FrameMeasurement] {
        let results = UnsafeMutableBufferPointer<FrameMeasurement?>.allocate(capacity: paths.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let shared = UnsafeSendable(results), errors = FirstError(), done = Tally()
        Parallel.forEach(iterations: paths.count, workers: workers) { index in
            do { shared.value[index] = measure(try ImageFile.read(paths[index]), path: paths[index]) } catch { errors.record(error) }
            progress?(done.next(), paths.count)
        }
        if let error = errors.first { throw error }
        var measurements = results.compactMap { $0 }
        let order = measurements.indices.sorted { measurements[$0].weight > measurements[$1].weight }
        for (rank, index) in order.enumerated() { measurements[index].rank = rank + 1 }
        return measurements
    }
}
