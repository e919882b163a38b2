/// How to combine a stack. Defaults and names follow PixInsight's ImageIntegration (shared/reference/integration.md);
/// each field says where its default comes from.
public struct IntegrationParameters: Sendable, Codable, Equatable {
    public enum Combination: String, Sendable, Codable, CaseIterable { case average, median, minimum, maximum }

    public enum Normalization: String, Sendable, Codable, CaseIterable {
        case none, additive, multiplicative, additiveScaling = "additive+scaling", multiplicativeScaling = "multiplicative+scaling"
        /// Local Normalization: per-pixel functions from LerarNormalization (the caller passes them in).
        case local
    }

    /// Robust estimators of location and scale used for normalization.
    public enum ScaleEstimator: String, Sendable, Codable, CaseIterable {
        /// σ = 1.4826 × MAD.
        case mad
        /// Biweight midvariance (PixInsight's default weightScale).
        case bwmv
        /// Iterative k-sigma location/scale (IKSS, as PixInsight's IKSS estimator).
        case ikss
    }

    public enum Weighting: Sendable, Codable, Equatable {
        case none
        /// EXPTIME/EXPOSURE.
        case exposure
        /// Inverse noise variance (1/σ²) from a wavelet k-sigma noise estimate.
        case noise
        /// Value of a FITS keyword (e.g. WBPPWGHT or a registration weight).
        case keyword(String)
        /// Weights by file name (from a CSV table).
        case table([String: Double])
    }

    public enum Rejection: String, Sendable, Codable, CaseIterable {
        case none, minMax = "minmax", percentile, sigma, winsorized, averagedSigma = "averaged-sigma", linearFit = "linear-fit", esd
        /// WBPP's choice by frame count: < 6 percentile, ≤ 15 winsorized sigma, else linear fit (WBPP 3.0.1); for
        /// LN-normalized frames winsorized sigma from 6 frames on, chosen by measurement (docs/defaults.md).
        case auto

        /// Frame count above which `auto` takes linear fit clipping for frames not locally normalized (WBPP 3.0.1).
        public static let linearFitAbove = 15

        /// The algorithm `auto` resolves to for `count` frames; `localNormalization`: the frames are LN-normalized.
        /// There, on the simulator's hard sessions of 24, 48 and 96 subs, winsorized sigma left the stack as
        /// quiet as linear fit or quieter (9.25/7.14/5.11 against 9.22/7.19/5.19 ×1e-5), the trails as clean
        /// or cleaner, in half the time; at 12 subs it is WBPP's choice anyway.
        public func resolved(frameCount count: Int, localNormalization: Bool = false) -> Rejection {
            guard self == .auto else { return self }
            if count < 6 { return .percentile }
            return localNormalization || count <= Self.linearFitAbove ? .winsorized : .linearFit
        }
    }

    public var combination: Combination = .average
    /// Output normalization (PixInsight default for lights: additive + scaling).
    public var normalization: Normalization = .additiveScaling
    public var scaleEstimator: ScaleEstimator = .bwmv
    public var weighting: Weighting = .none
    public var rejection: Rejection = .auto
    /// Reject low / high outliers (PixInsight default: both on).
    public var clipLow = true, clipHigh = true
    /// Min/max: samples rejected at each end (PixInsight 1/1).
    public var minMaxLow = 1, minMaxHigh = 1
    /// Percentile clipping thresholds (PixInsight 0.2/0.1).
    public var percentileLow = 0.2, percentileHigh = 0.1
    /// Sigma limits for sigma, winsorized and averaged sigma clipping (PixInsight 4/3).
    public var sigmaLow = 4.0, sigmaHigh = 3.0
    /// Winsorization cutoff (PixInsight 5).
    public var winsorizationCutoff = 5.0
    /// Linear fit clipping tolerances (PixInsight 5/4).
    public var linearFitLow = 5.0, linearFitHigh = 4.0
    /// Generalized ESD: maximum outlier fraction, significance, low relaxation (PixInsight 0.3/0.05/1.0).
    public var esdOutliersFraction = 0.3, esdAlpha = 0.05, esdLowRelaxation = 1.0
    /// Range rejection: samples ≤ rangeLow (when on) or ≥ rangeHigh (when on) are left out before anything else
    /// (PixInsight: low on at 0, high off at 0.98). NaN is always "no data".
    public var rangeClipLow = false, rangeLow: Float = 0
    public var rangeClipHigh = false, rangeHigh: Float = 0.98
    /// Subtract each frame's PEDESTAL keyword (DN) first (PixInsight does for lights without LN).
    public var subtractPedestals = true
    /// Produce low/high rejection maps (fraction of the stack rejected per pixel).
    public var rejectionMaps = false
    /// Memory budget for the pixel stacks, bytes (rows are processed in bands that fit). 512 MB keeps a 24-frame
    /// 4096² stack under Siril's peak memory; more buys little, since bands are read and combined at memory speed.
    public var maxMemory = 512 << 20

    public init() {}

    /// Masters of bias and darks: average, no normalization, winsorized sigma (WBPP).
    public static var biasOrDark: IntegrationParameters {
        var p = IntegrationParameters()
        p.normalization = .none
        p.rejection = .winsorized
        p.subtractPedestals = false
        return p
    }

    /// Master flats: average, multiplicative normalization, winsorized sigma (WBPP, with equalised fluxes for rejection).
    public static var flat: IntegrationParameters {
        var p = IntegrationParameters()
        p.normalization = .multiplicative
        p.rejection = .winsorized
        p.subtractPedestals = false
        return p
    }

    /// Lights: average, additive + scaling, noise weights, rejection by count, zeros excluded.
    public static var lights: IntegrationParameters {
        var p = IntegrationParameters()
        p.weighting = .noise
        p.rangeClipLow = true
        return p
    }

    /// One line for HISTORY/logs.
    public var summary: String {
        var parts = ["combination=\(combination.rawValue)", "normalization=\(normalization.rawValue)", "scale=\(scaleEstimator.rawValue)"]
        switch weighting {
        case .none: parts.append("weights=none")
        case .exposure: parts.append("weights=exposure")
        case .noise: parts.append("weights=noise")
        case let .keyword(name): parts.append("weights=keyword:\(name)")
        case .table: parts.append("weights=table")
        }
        parts.append("rejection=\(rejection.rawValue)")
        switch rejection {
        case .sigma, .winsorized, .averagedSigma: parts.append("sigma=\(sigmaLow)/\(sigmaHigh)")
        case .linearFit: parts.append("linearfit=\(linearFitLow)/\(linearFitHigh)")
        case .percentile: parts.append("percentile=\(percentileLow)/\(percentileHigh)")
        case .minMax: parts.append("minmax=\(minMaxLow)/\(minMaxHigh)")
        case .esd: parts.append("esd=\(esdOutliersFraction)/\(esdAlpha)/\(esdLowRelaxation)")
        case .none, .auto: break
        }
        parts.append("clip=\(clipLow ? "low" : "")\(clipLow && clipHigh ? "+" : "")\(clipHigh ? "high" : "")")
        return parts.joined(separator: " ")
    }
}
