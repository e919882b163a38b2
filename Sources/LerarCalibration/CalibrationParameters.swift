/// Light calibration settings (PixInsight ImageCalibration defaults where they exist).
public struct CalibrationParameters: Sendable, Codable, Equatable {
    /// Added to every calibrated sample, ADU (DN), recorded as PEDESTAL so integration can remove it (default 0).
    public var pedestal: Double = 0
    /// Scale the dark by the factor that minimises the noise of the result (PixInsight's dark optimization).
    public var optimizeDark = false
    /// Dark optimization uses only dark pixels above median + this many σ (PixInsight 3).
    public var darkOptimizationLow = 3.0
    /// Replace hot, cold and dead pixels from their neighbours.
    public var cosmeticCorrection = false
    /// Hot pixels: dark current above median + this many σ in the master dark (default 5).
    public var hotSigma = 5.0
    /// Cold/dead pixels: master-flat response below this fraction of the local median (default 0.5).
    public var coldFraction = 0.5
    /// Flat samples below this fraction of the flat's mean are treated as invalid (no correction there, warned).
    public var flatFloor = 0.01
    /// Subtract the overscan (BIASSEC) and trim to TRIMSEC/DATASEC before anything else (default false).
    public var overscan = false
    /// Lines averaged into each overscan value (a running mean of the per-line medians; default 31, 1 = per line as
    /// ccdproc without a model).
    public var overscanSmoothing = 31
    /// Output sample format is Float32; output extension.
    public var outputExtension = "xisf"

    public init() {}
}
