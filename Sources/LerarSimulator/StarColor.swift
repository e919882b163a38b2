import Foundation

/// Colours of the simulated sky: stars as black bodies seen through R, G and B, and a green-tinted light pollution,
/// so the finish has a true colour to recover and a green fog to remove.
public enum StarColor {
    /// Effective wavelengths of the R, G and B filters, m.
    static let wavelengths = [620e-9, 530e-9, 460e-9]

    /// Effective temperature of a star of B−V `colorIndex`, K (Ballesteros 2012).
    public static func temperature(colorIndex: Double) -> Double {
        4600 * (1 / (0.92 * colorIndex + 1.7) + 1 / (0.92 * colorIndex + 0.62))
    }

    /// Fractions of a star's L photon rate in R, G and B (sum 1): its Planck photon spectrum at the filters' wavelengths.
    public static func rgbFractions(colorIndex: Double) -> [Double] {
        let t = temperature(colorIndex: colorIndex)
        // Photon radiance ∝ λ^−4 / (exp(hc/λkT) − 1); hc/k = 1.4388e-2 m·K.
        let photons = wavelengths.map { lambda in pow(lambda, -4) / (exp(1.4388e-2 / (lambda * t)) - 1) }
        let total = photons.reduce(0, +)
        return photons.map { $0 / total }
    }

    /// Fractions of the L sky in R, G and B: light pollution (LED and skyglow) is brightest in green.
    public static let skyRGB = [0.30, 0.42, 0.28]
    /// The light-pollution gradient's strength in R, G and B relative to each channel's own sky: greener still.
    public static let gradientTintRGB = [0.85, 1.3, 0.8]
}
