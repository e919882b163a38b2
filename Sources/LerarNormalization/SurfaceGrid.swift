import Foundation
import LerarCore
import LerarRegistration

/// A smooth surface over an image, held as values at the centres of square cells and evaluated bilinearly between
/// them (linearly extrapolated over the outer half cell, so a ramp stays a ramp up to the frame edge).
public struct SurfaceGrid: Sendable, Codable, Equatable {
    /// Image size, px, and cell size, px.
    public var width: Int, height: Int, spacing: Int
    public var columns: Int, rows: Int
    /// Row-major cell values; always finite once built by `LargeScaleBackground`.
    public var values: [Double]

    public init(width: Int, height: Int, spacing: Int, values: [Double]) {
        self.width = width
        self.height = height
        self.spacing = spacing
        columns = max(1, width / spacing)
        rows = max(1, height / spacing)
        precondition(values.count == columns * rows, "grid of \(columns)×\(rows) needs \(columns * rows) values")
        self.values = values
    }

    /// Cell-centre coordinate (in cells) of pixel coordinate `p` along an axis of `cells` cells of `size` px over `extent` px.
    @inline(__always) static func cellCoordinate(_ p: Double, cells: Int, extent: Int) -> Double {
        (p + 0.5) * Double(cells) / Double(extent) - 0.5
    }

    /// The surface at pixel (x, y).
    public func value(x: Double, y: Double) -> Double {
        let gx = Self.cellCoordinate(x, cells: columns, extent: width), gy = Self.cellCoordinate(y, cells: rows, extent: height)
        let (c0, fx) = Self.segment(gx, columns), (r0, fy) = Self.segment(gy, rows)
        let c1 = min(c0 + 1, columns - 1), r1 = min(r0 + 1, rows - 1)
        let top = values[r0 * columns + c0] * (1 - fx) + values[r0 * columns + c1] * fx
        let bottom = values[r1 * columns + c0] * (1 - fx) + values[r1 * columns + c1] * fx
        return top * (1 - fy) + bottom * fy
    }

    /// Left node and fraction for a cell coordinate, the fraction running below 0 or above 1 at the ends.
    @inline(__always) static func segment(_ g: Double, _ n: Int) -> (Int, Double) {
        guard n > 1 else { return (0, 0) }
        let left = min(max(Int(g.rounded(.down)), 0), n - 2)
        return (left, g - Double(left))
    }

    /// Fills `output` (rows × width) with the surface on image rows `rows`.
    public func render(rows rowRange: Range<Int>, into output: UnsafeMutableBufferPointer<Float>) {
        var c0 = [Int](repeating: 0, count: width), fx = [Double](repeating: 0, count: width)
        for x in 0..<width { (c0[x], fx[x]) = Self.segment(Self.cellCoordinate(Double(x), cells: columns, extent: width), columns) }
        for (index, y) in rowRange.enumerated() {
            let (r0, fy) = Self.segment(Self.cellCoordinate(Double(y), cells: rows, extent: height), rows)
            let r1 = min(r0 + 1, rows - 1)
            for x in 0..<width {
                let a = c0[x], b = min(a + 1, columns - 1), f = fx[x]
                let top = values[r0 * columns + a] * (1 - f) + values[r0 * columns + b] * f
                let bottom = values[r1 * columns + a] * (1 - f) + values[r1 * columns + b] * f
                output[index * width + x] = Float(top * (1 - fy) + bottom * fy)
            }
        }
    }

    /// Largest minus smallest value.
    public var peakToPeak: Double { (values.max() ?? 0) - (values.min() ?? 0) }

    /// Median of the values.
    public var median: Double { BackgroundGrid.median(values) }

    /// Cell-wise a·self + b·other (same geometry).
    public func combined(_ a: Double, _ other: SurfaceGrid, _ b: Double) -> SurfaceGrid {
        precondition(other.columns == columns && other.rows == rows, "surfaces of different grids")
        return SurfaceGrid(width: width, height: height, spacing: spacing, values: zip(values, other.values).map { a * $0 + b * $1 })
    }
}
