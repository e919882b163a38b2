import Foundation
import LerarCore

/// A fitted point-spread function: elliptical Moffat (free β) or Gaussian, by Levenberg–Marquardt on the pixels
/// around a star, the model integrated over each pixel (3×3 sub-samples) so the FWHM is the star's, not the pixel's.
public struct PSFFit: Sendable, Codable {
    public enum Model: String, Sendable, Codable { case gaussian, moffat }

    public var model: Model
    /// Centre, px.
    public var x: Double, y: Double
    /// Peak above background and background, image units.
    public var amplitude: Double, background: Double
    /// FWHM along the major and minor axes, px; angle of the major axis, degrees.
    public var fwhmMajor: Double, fwhmMinor: Double, angle: Double
    public var beta: Double?
    /// Total flux above background (analytic integral of the model), image units × px².
    public var flux: Double
    /// RMS of the fit residuals relative to the amplitude.
    public var residual: Double

    /// Mean FWHM (geometric mean of the axes), px.
    public var fwhm: Double { (fwhmMajor * fwhmMinor).squareRoot() }
    /// √(1 − (minor/major)²).
    public var eccentricity: Double { fwhmMajor > 0 ? (max(0, 1 - pow(fwhmMinor / fwhmMajor, 2))).squareRoot() : 0 }

    /// Fits `model` to the pixels within `radius` of (x, y), starting from a round star of `fwhmGuess` px; nil when
    /// the fit fails or is implausible.
    public static func fit(_ plane: [Float], width: Int, height: Int, x: Double, y: Double, radius: Int, model: Model,
                           fwhmGuess: Double = 3) -> PSFFit? {
        let cx = Int(x.rounded()), cy = Int(y.rounded())
        guard cx - radius >= 0, cy - radius >= 0, cx + radius < width, cy + radius < height else { return nil }
        var xs: [Double] = [], ys: [Double] = [], data: [Double] = []
        for py in (cy - radius)...(cy + radius) {
            for px in (cx - radius)...(cx + radius) {
                let v = Double(plane[py * width + px])
                guard v.isFinite else { return nil }
                xs.append(Double(px)); ys.append(Double(py)); data.append(v)
            }
        }
        let sorted = data.sorted()
        let background = sorted[sorted.count / 4], peak = sorted.last! - background
        guard peak > 0 else { return nil }
        // p: amplitude, x0, y0, a (σ or α along its axis), b, θ, background[, β]
        let width0 = model == .gaussian ? fwhmGuess / 2.3548 : fwhmGuess / (2 * (pow(2, 0.25) - 1).squareRoot())
        var p: [Double] = [peak, x, y, width0, width0 * 0.95, 0.3, background]
        if model == .moffat { p.append(4) }
        // The 3×3 sub-samples matter only near the core: beyond 2 FWHM a pixel's centre value is within 7e-4 of the
        // peak of its integral (FWHM ≥ 1.5 px; the 3×3 rule's own error at 1.5 FWHM is 4e-4), and half the box lies there.
        let fineRadius = max(2.0, 2 * fwhmGuess)
        let fine = zip(xs, ys).map { px, py in (px - x) * (px - x) + (py - y) * (py - y) < fineRadius * fineRadius }
        let evaluator = PSFModelEvaluator(xs: xs, ys: ys, fine: fine, gaussian: model == .gaussian)
        func cost(_ model: [Double]) -> Double {
            var total = 0.0
            for i in 0..<data.count { let r = data[i] - model[i]; total += r * r }
            return total
        }
        // Each candidate is evaluated with its Jacobian: most steps are accepted, and an accepted candidate's model
        // and Jacobian are then the next iteration's, so each step costs one pass of exp/log1p instead of two.
        var lambda = 1e-3, (base, jacobian) = evaluator.valuesAndJacobian(p)
        var current = cost(base)
        let count = p.count
        var settled = false
        for _ in 0..<60 where !settled {
            // JᵀJ (row-major, count × count) and Jᵀr, accumulated through raw buffers: the nested arrays this replaced
            // paid a uniqueness and bounds check per term.
            var normal = [Double](repeating: 0, count: count * count), gradient = [Double](repeating: 0, count: count)
            normal.withUnsafeMutableBufferPointer { normal in
                gradient.withUnsafeMutableBufferPointer { gradient in
                    jacobian.withUnsafeBufferPointer { jacobian in
                        for i in 0..<data.count {
                            let r = data[i] - base[i], row = i * count
                            for a in 0..<count {
                                let ja = jacobian[row + a]
                                gradient[a] += ja * r
                                for b in a..<count { normal[a * count + b] += ja * jacobian[row + b] }
                            }
                        }
                    }
                }
                for a in 0..<count { for b in 0..<a { normal[a * count + b] = normal[b * count + a] } }
            }
            var improved = false
            for _ in 0..<8 {
                var damped = normal
                for a in 0..<count { damped[a * count + a] *= 1 + lambda }
                guard let delta = LinearSolver.solve(damped, gradient, size: count) else { lambda *= 10; continue }
                var candidate = zip(p, delta).map { $0 + $1 }
                candidate[3] = abs(candidate[3]); candidate[4] = abs(candidate[4])
                if model == .moffat { candidate[7] = min(max(candidate[7], 1.05), 20) }
                let evaluated = evaluator.valuesAndJacobian(candidate), next = cost(evaluated.0)
                if next < current {
                    settled = (current - next) < 1e-7 * current
                    p = candidate; current = next; (base, jacobian) = evaluated; lambda = max(lambda / 10, 1e-9); improved = true
                    break
                }
                lambda *= 10
            }
            if !improved { break }
        }
        guard p[0] > 0, p[3] > 0.3, p[4] > 0.3, p[3] < Double(radius) * 2, p[4] < Double(radius) * 2,
              abs(p[1] - x) < 2, abs(p[2] - y) < 2 else { return nil }
        let factor: Double, integral: Double
        if model == .gaussian {
            factor = 2 * (2 * log(2.0)).squareRoot()
            integral = 2 * Double.pi * p[3] * p[4]
        } else {
            factor = 2 * (pow(2, 1 / p[7]) - 1).squareRoot()
            integral = Double.pi * p[3] * p[4] / (p[7] - 1)
        }
        let major = max(p[3], p[4]) * factor, minor = min(p[3], p[4]) * factor
        var angle = p[5] * 180 / .pi + (p[4] > p[3] ? 90 : 0)
        angle = angle.truncatingRemainder(dividingBy: 180)
        return PSFFit(model: model, x: p[1], y: p[2], amplitude: p[0], background: p[6], fwhmMajor: major, fwhmMinor: minor,
                      angle: angle < 0 ? angle + 180 : angle, beta: model == .moffat ? p[7] : nil, flux: p[0] * integral,
                      residual: (current / Double(data.count)).squareRoot() / p[0])
    }
}

/// The elliptical Gaussian or Moffat model of `PSFFit` at each data pixel, averaged over 3×3 sub-pixel samples where
/// `fine` (else taken at the pixel's centre), with its analytic Jacobian: one pass over the pixels per iteration
/// instead of one per parameter, and one exp/log pair per sample instead of a pow.
struct PSFModelEvaluator {
    let xs: [Double], ys: [Double]
    let fine: [Bool]
    let gaussian: Bool

    /// Samples per axis of pixel `i` (3 or 1); sample k sits at (k − (n − 1)/2) / 3 px from the pixel's centre.
    @inline(__always) func samplesPerAxis(_ i: Int) -> Int { fine[i] ? 3 : 1 }

    /// Profile M(r²) = exp(−r²/2) or (1 + r²)^−β, and dM/dr² and dM/dβ.
    @inline(__always) func profile(_ r2: Double, beta: Double) -> (Double, Double, Double) {
        if gaussian {
            let m = exp(-0.5 * r2)
            return (m, -0.5 * m, 0)
        }
        let l = log1p(r2), m = exp(-beta * l)
        return (m, -beta * m / (1 + r2), -l * m)
    }

    /// Model values and the Jacobian, row-major (pixel × parameter).
    func valuesAndJacobian(_ p: [Double]) -> ([Double], [Double]) {
        let count = p.count
        let c = cos(p[5]), s = sin(p[5]), a = p[3], b = p[4], inverseA = 1 / a, inverseB = 1 / b, beta = gaussian ? 0 : p[7]
        var model = [Double](repeating: 0, count: xs.count), jacobian = [Double](repeating: 0, count: xs.count * count)
        for i in 0..<xs.count {
            var m = 0.0, dx0 = 0.0, dy0 = 0.0, da = 0.0, db = 0.0, dTheta = 0.0, dBeta = 0.0
            let n = samplesPerAxis(i), half = (n - 1) / 2, samples = Double(n * n)
            for ky in 0..<n { for kx in 0..<n {
                let sx = Double(kx - half) / 3, sy = Double(ky - half) / 3
                let dx = xs[i] + sx - p[1], dy = ys[i] + sy - p[2]
                let u = (c * dx + s * dy) * inverseA, v = (-s * dx + c * dy) * inverseB
                let (value, dR2, dB) = profile(u * u + v * v, beta: beta)
                m += value
                // r² = u² + v²: chain rule through u and v.
                dx0 += dR2 * 2 * (u * (-c * inverseA) + v * (s * inverseB))
                dy0 += dR2 * 2 * (u * (-s * inverseA) + v * (-c * inverseB))
                da += dR2 * 2 * u * (-u * inverseA)
                db += dR2 * 2 * v * (-v * inverseB)
                dTheta += dR2 * 2 * (u * (v * b * inverseA) + v * (-u * a * inverseB))
                dBeta += dB
            } }
            let amplitude = p[0] / samples
            model[i] = p[6] + p[0] * m / samples   // rounded as the values-only pass this replaced did: the same fits
            let row = i * count
            jacobian[row] = m / samples
            jacobian[row + 1] = amplitude * dx0
            jacobian[row + 2] = amplitude * dy0
            jacobian[row + 3] = amplitude * da
            jacobian[row + 4] = amplitude * db
            jacobian[row + 5] = amplitude * dTheta
            jacobian[row + 6] = 1
            if !gaussian { jacobian[row + 7] = amplitude * dBeta }
        }
        return (model, jacobian)
    }
}
