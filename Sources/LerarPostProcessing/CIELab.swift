import Foundation

/// CIE L*a*b* and L*c*h* of RGB values in the sRGB working space (sRGB primaries and gamma, D65 white), as
/// PixInsight's default RGB working space: the channels of a stretched image are display-encoded values, so L*/100 of
/// a grey pixel is close to its value, and a luminance image can stand in for L*/100.
public enum CIELab {
    /// A pixel in CIE L*a*b*: L in [0, 100], a and b about [−128, 128].
    public struct Lab: Sendable, Equatable {
        public var l: Double, a: Double, b: Double
        public init(l: Double, a: Double, b: Double) { self.l = l; self.a = a; self.b = b }
        /// Chroma √(a² + b²).
        public var chroma: Double { (a * a + b * b).squareRoot() }
        /// Hue angle, degrees in [0, 360).
        public var hueDegrees: Double {
            let h = atan2(b, a) * 180 / .pi
            return h < 0 ? h + 360 : h
        }
    }

    // D65 reference white, Y = 1.
    static let whiteX = 0.95047, whiteZ = 1.08883
    static let epsilon = 216.0 / 24389.0, kappa = 24389.0 / 27.0

    /// sRGB transfer function: encoded value → linear light.
    static func decode(_ v: Double) -> Double {
        let s = max(0, v)
        return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
    }

    /// Linear light → encoded value.
    static func encode(_ v: Double) -> Double {
        let s = max(0, v)
        return s <= 0.0031308 ? 12.92 * s : 1.055 * pow(s, 1 / 2.4) - 0.055
    }

    static func f(_ t: Double) -> Double { t > epsilon ? cbrt(t) : (kappa * t + 16) / 116 }
    static func fInverse(_ t: Double) -> Double {
        let cube = t * t * t
        return cube > epsilon ? cube : (116 * t - 16) / kappa
    }

    /// L*a*b* of an encoded RGB pixel.
    public static func lab(r: Double, g: Double, b: Double) -> Lab {
        let rl = decode(r), gl = decode(g), bl = decode(b)
        let x = 0.4124564 * rl + 0.3575761 * gl + 0.1804375 * bl
        let y = 0.2126729 * rl + 0.7151522 * gl + 0.0721750 * bl
        let z = 0.0193339 * rl + 0.1191920 * gl + 0.9503041 * bl
        let fx = f(x / whiteX), fy = f(y), fz = f(z / whiteZ)
        return Lab(l: 116 * fy - 16, a: 500 * (fx - fy), b: 200 * (fy - fz))
    }

    /// CIE L* / 100 of an encoded RGB pixel, [0, 1].
    public static func lightness(r: Double, g: Double, b: Double) -> Double {
        let y = 0.2126729 * decode(r) + 0.7151522 * decode(g) + 0.0721750 * decode(b)
        return (116 * f(y) - 16) / 100
    }

    /// The encoded RGB pixel of `lab` (out-of-gamut values are not clipped).
    public static func rgb(_ lab: Lab) -> (r: Double, g: Double, b: Double) {
        let fy = (lab.l + 16) / 116, fx = fy + lab.a / 500, fz = fy - lab.b / 200
        let x = whiteX * fInverse(fx), y = lab.l > kappa * epsilon ? fy * fy * fy : lab.l / kappa, z = whiteZ * fInverse(fz)
        let rl = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z
        let gl = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z
        let bl = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z
        return (encode(rl), encode(gl), encode(bl))
    }
}
