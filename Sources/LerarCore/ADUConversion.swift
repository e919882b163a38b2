/// Conversions between normalised [0,1] samples and integer ADU, as PixInsight and Siril
/// normalise integer data on read: value / (2^bits − 1).
public enum ADUConversion {
    /// Normalised sample for an ADU value of a 16-bit camera (ADU / 65535).
    @inlinable public static func normalized(adu: Double, bits: Int = 16) -> Float {
        Float(adu / (pow2(bits) - 1))
    }

    /// ADU (0…2^bits − 1) for a normalised sample.
    @inlinable public static func adu(normalized value: Float, bits: Int = 16) -> Double {
        Double(value) * (pow2(bits) - 1)
    }

    @inlinable static func pow2(_ bits: Int) -> Double { Double(sign: .plus, exponent: bits, significand: 1) }
}
