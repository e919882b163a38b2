import Foundation

/// An elliptical Moffat point-spread function, I(r) ∝ (1 + (x′/αx)² + (y′/αy)²)^−β in the frame turned by the angle.
public struct MoffatPSF: Sendable, Equatable, Codable {
    /// FWHM along the major and minor axes, px.
    public var fwhmMajor: Double, fwhmMinor: Double
    /// Angle of the major axis from +x, degrees.
    public var angle: Double
    public var beta: Double
    /// Stars the PSF was averaged over (0 for a given PSF).
    public var starCount: Int = 0

    public init(fwhmMajor: Double, fwhmMinor: Double, angle: Double = 0, beta: Double = 4, starCount: Int = 0) {
        self.fwhmMajor = fwhmMajor
        self.fwhmMinor = fwhmMinor
        self.angle = angle
        self.beta = beta
        self.starCount = starCount
    }

    /// Geometric mean FWHM, px.
    public var fwhm: Double { (fwhmMajor * fwhmMinor).squareRoot() }

    /// α of an axis from its FWHM: FWHM / (2·√(2^(1/β) − 1)).
    func alpha(_ fwhm: Double) -> Double { fwhm / (2 * (pow(2, 1 / beta) - 1).squareRoot()) }

    /// Radius where the profile has fallen to 1e-4 of its peak along the major axis, px (at most `limit`).
    public func kernelRadius(limit: Int = 64) -> Int {
        let r = alpha(fwhmMajor) * (pow(1e-4, -1 / beta) - 1).squareRoot()
        return min(limit, max(2, Int(r.rounded(.up))))
    }

    /// The normalised (sum 1) kernel of side 2r + 1, each pixel the mean of 4×4 sub-samples.
    public func kernel(radius r: Int) -> [Float] {
        let side = 2 * r + 1
        let ax = alpha(fwhmMajor), ay = alpha(fwhmMinor)
        let t = angle * .pi / 180, c = cos(t), s = sin(t)
        var values = [Double](repeating: 0, count: side * side)
        let sub = 4
        for ky in -r...r {
            for kx in -r...r {
                var sum = 0.0
                for sy in 0..<sub {
                    for sx in 0..<sub {
                        let x = Double(kx) + (Double(sx) + 0.5) / Double(sub) - 0.5
                        let y = Double(ky) + (Double(sy) + 0.5) / Double(sub) - 0.5
                        let u = (c * x + s * y) / ax, v = (-s * x + c * y) / ay
                        sum += pow(1 + u * u + v * v, -beta)
                    }
                }
                values[(ky + r) * side + kx + r] = sum
            }
        }
        let total = values.reduce(0, +)
        return values.map { Float($0 / total) }
    }
}
