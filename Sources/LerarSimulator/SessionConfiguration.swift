/// Everything a simulated night is made of. Defaults describe a cooled 16-bit CMOS camera on a small refractor
/// (values typical of an IMX571 at gain 100: ~0.8 e-/ADU, ~1.5 e- read noise, offset 50 → ~500 ADU bias).
/// Every effect has a switch so tests can isolate it.
public struct SessionConfiguration: Sendable, Codable, Equatable {
    // MARK: Session
    /// Frame size in px.
    public var width = 1024, height = 1024
    /// Lights per filter (per panel).
    public var lightsPerFilter = 12
    /// Filter names; ignored for OSC (one-shot colour) sessions.
    public var filters = ["L"]
    /// Light exposure in s.
    public var exposure = 300.0
    /// One-shot colour camera: RGGB Bayer mosaic, no filter wheel.
    public var oneShotColor = false
    /// Mosaic panels (1 = no mosaic).
    public var panels = 1
    /// Observing nights. With more than one, each night's lights and flats go under `NIGHT_n/`, each night has its
    /// own dust (the camera was taken down in between), and darks, dark-flats and bias are one shared library at
    /// the top. `lightsPerFilter` counts per night.
    public var nights = 1
    public var seed: UInt64 = 1
    /// Output format: "fits", "xisf" or "dng" (a DSLR's raw files: one-shot colour only, EXIF instead of FITS keywords).
    public var format = "fits"
    public var target = "M31"
    /// Calibration set sizes.
    public var biasCount = 20, darkCount = 15, flatCount = 15, darkFlatCount = 15
    /// Exposure of the second dark set, s (0 = none).
    public var secondDarkExposure = 600.0

    // MARK: Camera
    public var camera = "ZWO ASI2600MM Pro"
    /// GAIN keyword value and its conversion factor, e-/ADU.
    public var gainSetting = 100, electronsPerADU = 0.8
    /// OFFSET keyword value; the bias level is 10 ADU per offset unit.
    public var offsetSetting = 50
    /// Read noise, e-.
    public var readNoise = 1.5
    /// Fixed column pattern amplitude (σ of per-column bias offsets), ADU.
    public var columnPatternADU = 1.0
    /// Dark current at the set temperature, e-/s/px; doubles every 6 °C.
    public var darkCurrent = 0.003
    public var setTemperature = -10.0
    /// Fraction of hot pixels and their dark current range, e-/s.
    public var hotPixelFraction = 0.001, hotPixelCurrent = 0.5...5.0
    /// Amp glow: extra dark current at the top-right corner, e-/s, falling off over this radius (fraction of width).
    public var ampGlow = 0.08, ampGlowRadius = 0.15
    /// A dead column that reads zero in every frame.
    public var deadColumn = true
    /// Cold pixels (no photo-response), count.
    public var coldPixelCount = 12
    public var saturationADU = 65535.0

    // MARK: Optics and sky
    /// Vignetting: transmission falls by this fraction at the corners (cos⁴-like).
    public var vignettingDepth = 0.25
    /// Dust donuts per filter (some shared by all filters: on the sensor window).
    public var dustDonutsPerFilter = 3
    /// Sky background, e-/s/px, for L (R, G, B get 1/3 of it).
    public var skyRate = 4.0
    /// Star count per megapixel and the power-law slope of the brightness distribution.
    public var starDensity = 800.0, fluxSlope = 1.5
    /// Brightest star rate, e-/s (L).
    public var brightestStarRate = 60_000.0
    /// Moffat β and the FWHM range of the subs, px.
    public var moffatBeta = 4.0, fwhmRange = 2.6...3.6
    /// Seeing of an undersampled setup (short focal length, large pixels), px: the case drizzle is for.
    public static let undersampledFWHM = 1.2...1.6
    /// Light-pollution gradient strength range across the frame, fraction of sky.
    public var gradientRange = 0.03...0.12
    /// Transparency range (1 = clear).
    public var transparencyRange = 0.85...1.0

    // MARK: Pointing and defects
    /// Dither amplitude, px, and rotation jitter, degrees.
    public var ditherPixels = 30.0, rotationJitterDegrees = 0.15
    /// Meridian flip halfway through each filter's lights.
    public var meridianFlip = true
    /// Cosmic-ray hits per light per megapixel.
    public var cosmicRaysPerMegapixel = 6.0
    /// Fraction of lights crossed by a satellite trail.
    public var trailFraction = 0.2
    /// Exactly this many lights per filter (evenly spread) crossed by a trail, instead of `trailFraction`'s draw.
    public var trailCount: Int? = nil
    /// A large faint object in the field (nil: none), kept by the truth sky, masked and measured by the verifier.
    public var extendedObject: ExtendedObject? = nil
    /// Add one cloudy sub and/or one starless sub per filter.
    public var cloudySub = false, starlessSub = false

    // MARK: Switches
    public var noise = true, stars = true, gradients = true, hotPixels = true, vignetting = true, dust = true

    public init() {}

    /// Bias level, ADU.
    public var biasADU: Double { Double(offsetSetting) * 10 }
    /// Flat level aimed at, ADU above bias (about half of full well, as flat wizards aim for).
    public var flatTargetADU: Double { 25_000 }
    /// Filters as used: one "OSC" channel set for colour cameras.
    public var effectiveFilters: [String] { oneShotColor ? [""] : filters }
}
