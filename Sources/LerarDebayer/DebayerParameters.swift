/// Demosaicing methods.
public enum DebayerMethod: String, Sendable, CaseIterable, Codable {
    /// Variable Number of Gradients: edge-aware, PixInsight's default.
    case vng
    /// Mean of the nearest same-colour samples: fast, false colour on sharp edges.
    case bilinear
    /// One RGB pixel per 2×2 cell: half size, nothing interpolated.
    case superpixel
}

/// Settings of the debayer step; each default is declared here once.
public struct DebayerParameters: Sendable, Equatable, Codable {
    /// Method; default VNG, as PixInsight's Debayer and WBPP (shared/reference/postprocessing.md §1.2).
    public var method: DebayerMethod = .vng
    /// A pattern that replaces the header's BAYERPAT (the offsets and row order still apply); nil: the header's.
    public var pattern: CFAPattern?

    public init(method: DebayerMethod = .vng, pattern: CFAPattern? = nil) {
        self.method = method
        self.pattern = pattern
    }
}
