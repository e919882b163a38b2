/// The midtones transfer function MTF(m, x) = (m − 1)·x / ((2m − 1)·x − m): 0 → 0, m → 0.5, 1 → 1; m = 0.5 is the
/// identity, m < 0.5 brightens (PixInsight's HistogramTransformation, shared/reference/postprocessing.md §7).
@inlinable public func midtonesTransfer(_ m: Double, _ x: Double) -> Double {
    if x <= 0 { return 0 }
    if x >= 1 { return 1 }
    if m == 0.5 { return x }
    return (m - 1) * x / ((2 * m - 1) * x - m)
}

/// The ScreenTransferFunction auto-stretch's defaults, declared once for the previews and the finish:
/// shadows clipping −2.80 normalised MAD from the median, target background 0.25 (PixInsight STF and Siril's
/// AS_DEFAULT_SHADOWS_CLIPPING / AS_DEFAULT_TARGET_BACKGROUND, shared/reference/postprocessing.md §8).
public enum ScreenTransferDefaults {
    public static let shadowsClipping = -2.8
    public static let targetBackground = 0.25
}
