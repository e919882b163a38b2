import Foundation

/// A 2×2 Bayer colour filter array, named by the colours of (row 0: col 0, col 1; row 1: col 0, col 1) of the image
/// as stored in memory (row 0 = the first row of the file).
public enum CFAPattern: String, Sendable, CaseIterable, Codable {
    case rggb = "RGGB", bggr = "BGGR", grbg = "GRBG", gbrg = "GBRG"

    /// Channel index (0 R, 1 G, 2 B) of the filter over pixel (`x`, `y`).
    @inlinable public func channel(x: Int, y: Int) -> Int {
        let (redX, redY) = redOrigin
        if (x & 1) == redX && (y & 1) == redY { return 0 }
        if (x & 1) != redX && (y & 1) != redY { return 2 }
        return 1
    }

    /// Column and row parity (0 or 1) of the red pixel of each 2×2 cell.
    public var redOrigin: (Int, Int) {
        switch self {
        case .rggb: (0, 0)
        case .grbg: (1, 0)
        case .gbrg: (0, 1)
        case .bggr: (1, 1)
        }
    }

    /// The pattern seen after moving the origin by one column (an odd XBAYROFF): its two columns swap.
    public var swappingColumns: CFAPattern {
        switch self {
        case .rggb: .grbg
        case .grbg: .rggb
        case .gbrg: .bggr
        case .bggr: .gbrg
        }
    }

    /// The pattern seen after moving the origin by one row (an odd YBAYROFF, or rows read in the other order): its two
    /// rows swap.
    public var swappingRows: CFAPattern {
        switch self {
        case .rggb: .gbrg
        case .gbrg: .rggb
        case .grbg: .bggr
        case .bggr: .grbg
        }
    }

    /// The pattern of the sub-image starting at (`x`, `y`) of an image with this pattern (a crop or a trim).
    public func shifted(x: Int, y: Int) -> CFAPattern {
        var pattern = self
        if x & 1 != 0 { pattern = pattern.swappingColumns }
        if y & 1 != 0 { pattern = pattern.swappingRows }
        return pattern
    }

    /// A pattern from its name as cameras and programs write it ("RGGB", "rggb", " RGGB "), nil for others.
    public init?(name: String) {
        self.init(rawValue: name.trimmingCharacters(in: .whitespaces).uppercased())
    }
}
