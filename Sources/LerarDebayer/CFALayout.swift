import Foundation
import LerarCore

/// Why a frame cannot be debayered.
public enum DebayerError: Error, Equatable, CustomStringConvertible {
    /// No BAYERPAT (or COLORTYP) and no pattern given.
    case noPattern
    /// X-Trans (Fujifilm 6×6) mosaics need their own interpolation, which Lerar does not have.
    case xTrans(String)
    /// A BAYERPAT value that is not one of the four 2×2 patterns.
    case unknownPattern(String)
    /// An offset keyword that is not an integer.
    case badOffset(keyword: String, value: String)
    /// Debayering needs a single-plane mosaic.
    case notMosaic(channels: Int)
    /// The super-pixel method needs at least one 2×2 cell.
    case tooSmall(width: Int, height: Int)

    public var description: String {
        switch self {
        case .noPattern: "no Bayer pattern: the header has no BAYERPAT (give --pattern RGGB|BGGR|GRBG|GBRG)"
        case .xTrans(let value): "BAYERPAT = '\(value)' is an X-Trans (6×6) mosaic, which Lerar cannot debayer (convert it to DNG with a linear demosaic, or use Siril's X-Trans debayer)"
        case .unknownPattern(let value): "BAYERPAT = '\(value)' is not a 2×2 Bayer pattern (RGGB, BGGR, GRBG or GBRG)"
        case .badOffset(let keyword, let value): "\(keyword) = '\(value)' is not an integer pixel offset"
        case .notMosaic(let channels): "the image has \(channels) channels: only a single-plane CFA mosaic can be debayered"
        case .tooSmall(let width, let height): "\(width)×\(height) px is too small to debayer"
        }
    }
}

/// Where a mosaic's colours are: the header's pattern (BAYERPAT), moved by XBAYROFF/YBAYROFF and by the row order
/// (ROWORDER), resolved to the pattern of the pixels as Lerar holds them (row 0 = the first row of the file).
public struct CFALayout: Sendable, Equatable {
    /// The pattern of the pixels in memory.
    public var pattern: CFAPattern
    /// How it was found, for logs and HISTORY ("BAYERPAT RGGB, ROWORDER BOTTOM-UP, height 1001 → GBRG").
    public var explanation: String

    /// Resolves the layout of `metadata` for an image `height` px tall; `override` (a user's --pattern) replaces the
    /// header's pattern but still takes the offsets and the row order.
    ///
    /// Row order: a BAYERPAT names the colours from the sensor's first row read out (top-down). N.I.N.A., ASIAIR and
    /// Lerar write ROWORDER = TOP-DOWN and the file's first row is that row. With ROWORDER = BOTTOM-UP the file starts
    /// at the sensor's last row, so the pattern's rows swap when the height is even and stay when it is odd (Siril's
    /// rule). Without ROWORDER, top-down is assumed, as Siril's default and as PixInsight reads such files.
    public init(metadata: ImageMetadata, height: Int, override: CFAPattern? = nil) throws {
        let acquisition = metadata.acquisition
        var steps: [String] = []
        var pattern: CFAPattern
        if let override {
            pattern = override
            steps.append("pattern \(override.rawValue) (given)")
        } else {
            guard let name = acquisition.bayerPattern?.trimmingCharacters(in: .whitespaces) else { throw DebayerError.noPattern }
            let upper = name.uppercased()
            if upper.count == 36 || upper.contains("XTRANS") || upper.contains("X-TRANS") { throw DebayerError.xTrans(name) }
            guard let parsed = CFAPattern(name: upper) else { throw DebayerError.unknownPattern(name) }
            pattern = parsed
            steps.append("BAYERPAT \(parsed.rawValue)")
        }
        let xOffset = try Self.offset(metadata, "XBAYROFF"), yOffset = try Self.offset(metadata, "YBAYROFF")
        if xOffset != 0 || yOffset != 0 {
            pattern = pattern.shifted(x: xOffset, y: yOffset)
            steps.append("XBAYROFF \(xOffset) YBAYROFF \(yOffset)")
        }
        let rowOrder = metadata.keyword("ROWORDER")?.stringValue.trimmingCharacters(in: .whitespaces).uppercased()
        if rowOrder == "BOTTOM-UP" {
            if height % 2 == 0 { pattern = pattern.swappingRows }
            steps.append("ROWORDER BOTTOM-UP, height \(height) (\(height % 2 == 0 ? "even: rows swap" : "odd: rows stay"))")
        }
        self.pattern = pattern
        self.explanation = steps.joined(separator: ", ") + " → \(pattern.rawValue)"
    }

    /// A layout with a known pattern for the pixels in memory.
    public init(pattern: CFAPattern) {
        self.pattern = pattern
        self.explanation = pattern.rawValue
    }

    static func offset(_ metadata: ImageMetadata, _ key: String) throws -> Int {
        guard let card = metadata.keyword(key) else { return 0 }
        if let value = card.intValue { return value }
        if let value = card.doubleValue, value.rounded() == value, abs(value) < 1e9 { return Int(value) }
        throw DebayerError.badOffset(keyword: key, value: card.value)
    }
}
