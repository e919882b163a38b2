import Foundation
import LerarCore

/// A smooth background estimate: sigma-clipped medians of square cells, smoothed by a 3×3 median and a Gaussian
/// (σ = 1 cell) over cells, and
/// interpolated bilinearly between cell centres. Stars and NaN (no data) are left out by the clipping.
public struct BackgroundGrid: Sendable {
    public let cellSize: Int
    public let columns: Int, rows: Int
    /// Smoothed cell values, row-major; NaN where a cell had no data.
    public let cells: [Double]

    public init(plane: [Float], width: Int, height: Int, cellSize: Int = 32) {
        self.cellSize = cellSize
        columns = max(1, width / cellSize)
        rows = max(1, height / cellSize)
        var raw = [Double](repeating: .nan, count: columns * rows)
        for row in 0..<rows {
            for column in 0..<columns {
                var values: [Float] = []
                values.reserveCapacity(cellSize * cellSize)
                let x1 = column == columns - 1 ? width : (column + 1) * cellSize, y1 = row == rows - 1 ? height : (row + 1) * cellSize
                for y in (row * cellSize)..<y1 { for x in (column * cellSize)..<x1 where plane[y * width + x].isFinite { values.append(plane[y * width + x]) } }
                raw[row * columns + column] = Self.clippedMedian(values)
            }
        }
        var smooth = raw
        for row in 0..<rows {
            for column in 0..<columns {
                var neighbours: [Double] = []
                for dy in -1...1 { for dx in -1...1 {
                    let r = row + dy, c = column + dx
                    if r >= 0, r < rows, c >= 0, c < columns, raw[r * columns + c].isFinite { neighbours.append(raw[r * columns + c]) }
                } }
                smooth[row * columns + column] = neighbours.isEmpty ? .nan : Self.median(neighbours)
            }
        }
        // Then a Gaussian over cells (σ = 1 cell), so the peak-to-peak measures structure, not cell noise.
        var blurred = smooth
        for row in 0..<rows {
            for column in 0..<columns {
                var sum = 0.0, weight = 0.0
                for dy in -2...2 { for dx in -2...2 {
                    let r = row + dy, c = column + dx
                    guard r >= 0, r < rows, c >= 0, c < columns, smooth[r * columns + c].isFinite else { continue }
                    let w = exp(-Double(dx * dx + dy * dy) / 2)
                    sum += w * smooth[r * columns + c]; weight += w
                } }
                blurred[row * columns + column] = weight > 0 ? sum / weight : .nan
            }
        }
        cells = blurred
    }

    /// Background at a pixel, bilinear between cell centres.
    public func value(x: Int, y: Int) -> Double {
        let gx = min(max((Double(x) + 0.5) / Double(cellSize) - 0.5, 0), Double(columns - 1))
        let gy = min(max((Double(y) + 0.5) / Double(cellSize) - 0.5, 0), Double(rows - 1))
        let c0 = Int(gx), r0 = Int(gy), c1 = min(c0 + 1, columns - 1), r1 = min(r0 + 1, rows - 1)
        let fx = gx - Double(c0), fy = gy - Double(r0)
        let top = cells[r0 * columns + c0] * (1 - fx) + cells[r0 * columns + c1] * fx
        let bottom = cells[r1 * columns + c0] * (1 - fx) + cells[r1 * columns + c1] * fx
        return top * (1 - fy) + bottom * fy
    }

    /// Robust σ (1.4826·MAD, selection-based: no sort) of `plane` minus this background, sampled every `step` px.
    public func residualSigma(_ plane: [Float], width: Int, height: Int, step: Int = 3) -> Double {
        var residuals: [Float] = []
        residuals.reserveCapacity((width / step + 1) * (height / step + 1))
        for y in stride(from: 0, to: height, by: step) {
            for x in stride(from: 0, to: width, by: step) where plane[y * width + x].isFinite {
                residuals.append(plane[y * width + x] - Float(value(x: x, y: y)))
            }
        }
        return residuals.withUnsafeBufferPointer { RobustStatistics.compute($0).sigmaMAD }
    }

    /// Median sky level over the cells.
    public var level: Double { Self.median(cells.filter(\.isFinite)) }

    /// Peak-to-peak of the smoothed cells.
    public var peakToPeak: Double {
        let finite = cells.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return .nan }
        return high - low
    }

    /// Median of doubles (mean of the two central ones for an even count); NaN when empty.
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// Median after three rounds of clipping at 3 σ (σ from MAD), which removes stars from a sky cell.
    /// Selection-based (no sort), since cells hold tens of thousands of samples.
    static func clippedMedian(_ values: [Float]) -> Double {
        guard values.count >= 16 else { return .nan }
        var kept = values
        var median = Double.nan
        for _ in 0..<3 {
            let stats = kept.withUnsafeBufferPointer { RobustStatistics.compute($0) }
            median = stats.median
            let sigma = stats.sigmaMAD
            guard sigma > 0 else { return median }
            let low = Float(median - 3 * sigma), high = Float(median + 3 * sigma)
            let next = kept.filter { $0 >= low && $0 <= high }
            if next.count == kept.count || next.count < 16 { return next.count < 16 ? median : next.withUnsafeBufferPointer { RobustStatistics.median($0) } }
            kept = next
        }
        return kept.withUnsafeBufferPointer { RobustStatistics.median($0) }
    }
}
