import Foundation
import LerarCore

/// Settings of LinearFit (the "linear link" of channels); each default is declared here once.
public struct LinearFitParameters: Sendable, Equatable, Codable {
    /// Samples at or below this value (image units) are left out of the fit; default 0, PixInsight's LinearFit.
    public var rejectLow: Double = 0
    /// Samples at or above this value are left out (saturated stars); default 0.92, PixInsight's LinearFit.
    public var rejectHigh: Double = 0.92
    /// Side of the blocks averaged before fitting, px. Fitting single noisy pixels pulls the slope towards 0
    /// (regression dilution); 4×4 means cut the noise 4× while gradients, nebulae and stars keep their leverage.
    public var blockSize: Int = 4

    public init(rejectLow: Double = 0, rejectHigh: Double = 0.92, blockSize: Int = 4) {
        self.rejectLow = rejectLow
        self.rejectHigh = rejectHigh
        self.blockSize = blockSize
    }
}

/// A fitted line `reference ≈ offset + scale · image`.
public struct LinearFitResult: Sendable, Equatable, Codable {
    public var offset: Double, scale: Double
    /// Mean absolute deviation of the fit, image units; samples used.
    public var meanAbsoluteDeviation: Double, sampleCount: Int
}

/// PixInsight's LinearFit: a robust (least absolute deviation) line from one plane to a reference plane, applied so
/// the plane matches the reference's background and scale.
public enum ChannelLinearFit {
    /// The line taking `plane` to `reference` (same size), fitted on block means where both lie inside the limits.
    public static func fit(_ plane: UnsafeBufferPointer<Float>, to reference: UnsafeBufferPointer<Float>, width: Int, height: Int,
                           parameters: LinearFitParameters = .init()) -> LinearFitResult? {
        precondition(plane.count == width * height && reference.count == plane.count, "planes of different sizes")
        let block = max(1, parameters.blockSize)
        var xs: [Double] = [], ys: [Double] = []
        xs.reserveCapacity((width / block) * (height / block))
        ys.reserveCapacity(xs.capacity)
        let low = parameters.rejectLow, high = parameters.rejectHigh
        for by in stride(from: 0, to: height - block + 1, by: block) {
            for bx in stride(from: 0, to: width - block + 1, by: block) {
                var sx = 0.0, sy = 0.0, n = 0
                var valid = true
                for y in by..<(by + block) {
                    for x in bx..<(bx + block) {
                        let u = Double(plane[y * width + x]), v = Double(reference[y * width + x])
                        guard u.isFinite, v.isFinite, u > low, u < high, v > low, v < high else { valid = false; break }
                        sx += u; sy += v; n += 1
                    }
                    if !valid { break }
                }
                if valid && n > 0 { xs.append(sx / Double(n)); ys.append(sy / Double(n)) }
            }
        }
        return leastAbsoluteDeviationLine(xs: xs, ys: ys)
    }

    /// The line minimising Σ|y − (a + b·x)|, by iteratively reweighted least squares from the least-squares start.
    static func leastAbsoluteDeviationLine(xs: [Double], ys: [Double]) -> LinearFitResult? {
        guard xs.count >= 3 else { return nil }
        var weights = [Double](repeating: 1, count: xs.count)
        var a = 0.0, b = 1.0
        for _ in 0..<30 {
            var sw = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
            for i in 0..<xs.count {
                let w = weights[i]
                sw += w; sx += w * xs[i]; sy += w * ys[i]; sxx += w * xs[i] * xs[i]; sxy += w * xs[i] * ys[i]
            }
            let denominator = sw * sxx - sx * sx
            guard denominator > 0 else { return nil }
            let newB = (sw * sxy - sx * sy) / denominator, newA = (sy - newB * sx) / sw
            let converged = abs(newB - b) <= 1e-9 * max(1, abs(b)) && abs(newA - a) <= 1e-12
            a = newA; b = newB
            if converged { break }
            // L1 by reweighting with 1/|r|, floored so exact fits do not divide by zero.
            let floor = 1e-9
            for i in 0..<xs.count { weights[i] = 1 / max(floor, abs(ys[i] - a - b * xs[i])) }
        }
        let mad = zip(xs, ys).reduce(0) { $0 + abs($1.1 - a - b * $1.0) } / Double(xs.count)
        return LinearFitResult(offset: a, scale: b, meanAbsoluteDeviation: mad, sampleCount: xs.count)
    }

    /// `plane` mapped through `fit` (NaN stays NaN).
    public static func apply(_ fit: LinearFitResult, to plane: UnsafeMutableBufferPointer<Float>) {
        let shared = UnsafeSendable(plane)
        let a = Float(fit.offset), b = Float(fit.scale)
        Parallel.forEachChunk(count: plane.count) { range in
            for i in range { shared.value[i] = a + b * shared.value[i] }
        }
    }

    /// Gray `images` (same size) linear-fitted to `images[referenceIndex]`; the fits, one per image (identity for the
    /// reference). Throws when an image has too little data in the limits to fit.
    public static func link(_ images: [Image], referenceIndex: Int, parameters: LinearFitParameters = .init()) throws -> (images: [Image], fits: [LinearFitResult]) {
        let reference = images[referenceIndex]
        var output: [Image] = [], fits: [LinearFitResult] = []
        for (index, image) in images.enumerated() {
            guard image.width == reference.width, image.height == reference.height else {
                throw PostProcessingError.sizeMismatch("LinearFit: \(image.width)×\(image.height) against the reference's \(reference.width)×\(reference.height)")
            }
            if index == referenceIndex {
                output.append(image)
                fits.append(LinearFitResult(offset: 0, scale: 1, meanAbsoluteDeviation: 0, sampleCount: 0))
                continue
            }
            let result = image.withChannel(0) { plane in
                reference.withChannel(0) { fit(plane, to: $0, width: image.width, height: image.height, parameters: parameters) }
            }
            guard let result else {
                throw PostProcessingError.insufficientData("LinearFit: channel \(index) has too few samples between \(parameters.rejectLow) and \(parameters.rejectHigh)")
            }
            var fitted = image
            fitted.withMutableChannel(0) { apply(result, to: $0) }
            output.append(fitted)
            fits.append(result)
        }
        return (output, fits)
    }
}
