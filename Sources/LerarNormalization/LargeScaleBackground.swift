import Foundation
import LerarCore
import LerarRegistration

/// The large-scale background of an image at a normalization scale (shared/reference/local-normalization.md §3.2):
/// sigma-clipped medians of cells of scale/8 px (stars and outliers clipped), cells without enough data left out,
/// then a locally weighted linear fit over the cells (Gaussian weights, σ = 2 cells = scale/4 px) with one round of
/// rejection of cells that stand out (nebulae, satellite trails). The local-linear fit reproduces a linear gradient
/// exactly, also at the frame edges and across holes, where a plain Gaussian blur would bend it; cells far from any
/// data take the nearest fitted value instead of an extrapolation.
public enum LargeScaleBackground {
    /// Pixels at or below `lowClip` or at or above `highClip`, or NaN, are "no data" (PixInsight's LN: 4.5e-5 ≈ 3 ADU
    /// and 0.85 of the range).
    public struct Clipping: Sendable, Codable, Equatable {
        public var low: Float = 4.5e-5, high: Float = 0.85
        public init() {}
        @inline(__always) public func isData(_ v: Float) -> Bool { v > low && v < high }
    }

    /// Cell size, px, for a normalization scale: scale/8, at least 16 px and at most a quarter of the short side.
    public static func spacing(scale: Int, width: Int, height: Int) -> Int {
        max(8, min(max(16, scale / 8), min(width, height) / 4))
    }

    /// The model of `plane` and how many cells had no usable data.
    public static func model(_ plane: UnsafeBufferPointer<Float>, width: Int, height: Int, spacing: Int,
                             clipping: Clipping = Clipping(), smoothingCells: Double = 2) -> (surface: SurfaceGrid, missingCells: Int) {
        let columns = max(1, width / spacing), rows = max(1, height / spacing)
        var cells = [Double](repeating: .nan, count: columns * rows)
        // Where each cell's data lie, in cells from its centre: a cell cut by a border holds the median of its data
        // part, and the fit must place it there, or a gradient reads as a step along every border.
        var centroids = [(x: Double, y: Double)](repeating: (0, 0), count: columns * rows)
        let stride = BackgroundGrid.samplingStride(cellWidth: spacing, cellHeight: spacing)
        cells.withUnsafeMutableBufferPointer { cells in
          centroids.withUnsafeMutableBufferPointer { centroids in
            let shared = UnsafeSendable((cells, plane, centroids))
            Parallel.forEach(iterations: rows) { row in
                let (cells, plane, centroids) = shared.value
                var values: [Float] = []
                let y0 = row * height / rows, y1 = (row + 1) * height / rows
                for column in 0..<columns {
                    let x0 = column * width / columns, x1 = (column + 1) * width / columns
                    values.removeAll(keepingCapacity: true)
                    var total = 0, sumX = 0.0, sumY = 0.0
                    for y in Swift.stride(from: y0, to: y1, by: stride) {
                        for x in Swift.stride(from: x0, to: x1, by: stride) {
                            total += 1
                            let v = plane[y * width + x]
                            if clipping.isData(v) { values.append(v); sumX += Double(x); sumY += Double(y) }
                        }
                    }
                    // A cell mostly without data (borders, dead areas) would be biased by what is left.
                    guard values.count >= 16, values.count * 4 >= total else { continue }
                    let n = Double(values.count)
                    centroids[row * columns + column] = ((sumX / n + 0.5) * Double(columns) / Double(width) - 0.5 - Double(column),
                                                         (sumY / n + 0.5) * Double(rows) / Double(height) - 0.5 - Double(row))
                    cells[row * columns + column] = BackgroundGrid.clippedMedian(&values)
                }
            }
          }
        }
        let missing = cells.filter { !$0.isFinite }.count
        var valid = cells.map(\.isFinite)
        var fitted = localLinear(cells, valid: valid, centroids: centroids, columns: columns, rows: rows, sigma: smoothingCells)
        // Cells far from the fit (a nebula's core, a trail) are left out and the fit is redone.
        let residuals = (0..<cells.count).filter { valid[$0] && fitted[$0].isFinite }.map { cells[$0] - fitted[$0] }
        if residuals.count >= 9 {
            let centre = BackgroundGrid.median(residuals), spread = 1.4826 * BackgroundGrid.median(residuals.map { abs($0 - centre) })
            if spread > 0 {
                var changed = false
                for i in cells.indices where valid[i] && fitted[i].isFinite && abs(cells[i] - fitted[i] - centre) > 4 * spread {
                    valid[i] = false
                    changed = true
                }
                if changed { fitted = localLinear(cells, valid: valid, centroids: centroids, columns: columns, rows: rows, sigma: smoothingCells) }
            }
        }
        fillFromNearest(&fitted, columns: columns, rows: rows)
        return (SurfaceGrid(width: width, height: height, spacing: spacing, values: fitted), missing)
    }

    /// Locally weighted linear regression over the valid cells, each at the centroid of its data (`centroids`, in
    /// cells from its centre), evaluated at every cell centre; NaN where no valid cell lies within 3σ. Where the data
    /// lie far to one side (more than 1.5σ: outside a border, inside a large hole) the weighted mean is used instead
    /// of extrapolating the plane; a frame's corner (about 1.1σ) is still fitted.
    static func localLinear(_ values: [Double], valid: [Bool], centroids: [(x: Double, y: Double)], columns: Int, rows: Int, sigma: Double) -> [Double] {
        let radius = Int((3 * sigma).rounded(.up))
        var result = [Double](repeating: .nan, count: values.count)
        for row in 0..<rows {
            for column in 0..<columns {
                var s = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0, syy = 0.0, sv = 0.0, sxv = 0.0, syv = 0.0, n = 0
                for dy in -radius...radius {
                    let r = row + dy
                    guard r >= 0, r < rows else { continue }
                    for dx in -radius...radius {
                        let c = column + dx
                        guard c >= 0, c < columns, valid[r * columns + c] else { continue }
                        let x = Double(dx) + centroids[r * columns + c].x, y = Double(dy) + centroids[r * columns + c].y
                        let w = exp(-(x * x + y * y) / (2 * sigma * sigma)), v = values[r * columns + c]
                        s += w; sx += w * x; sy += w * y; sxx += w * x * x; sxy += w * x * y; syy += w * y * y
                        sv += w * v; sxv += w * x * v; syv += w * y * v
                        n += 1
                    }
                }
                guard s > 0 else { continue }
                let mean = sv / s
                // Centroid of the weights: far off-centre means the cell is outside the data.
                let offCentre = hypot(sx / s, sy / s)
                if n >= 6 && offCentre <= 1.5 * sigma,
                   let solution = Self.solve3([s, sx, sy, sx, sxx, sxy, sy, sxy, syy], [sv, sxv, syv]) {
                    result[row * columns + column] = solution
                } else {
                    result[row * columns + column] = mean
                }
            }
        }
        return result
    }

    /// The constant term of a 3×3 symmetric system (Cramer's rule); nil when ill-conditioned.
    static func solve3(_ m: [Double], _ b: [Double]) -> Double? {
        let det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
        guard abs(det) > 1e-9 * max(1, m[0] * m[4] * m[8]) else { return nil }
        let det0 = b[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (b[1] * m[8] - m[5] * b[2]) + m[2] * (b[1] * m[7] - m[4] * b[2])
        return det0 / det
    }

    /// Replaces NaN cells by the nearest finite one (breadth-first), so a surface is finite everywhere; all-NaN stays.
    static func fillFromNearest(_ values: inout [Double], columns: Int, rows: Int) {
        var frontier = values.indices.filter { values[$0].isFinite }
        guard !frontier.isEmpty, frontier.count < values.count else { return }
        while !frontier.isEmpty {
            var next: [Int] = []
            for index in frontier {
                let r = index / columns, c = index % columns
                for (dr, dc) in [(0, 1), (0, -1), (1, 0), (-1, 0)] {
                    let nr = r + dr, nc = c + dc
                    guard nr >= 0, nr < rows, nc >= 0, nc < columns, !values[nr * columns + nc].isFinite else { continue }
                    values[nr * columns + nc] = values[index]
                    next.append(nr * columns + nc)
                }
            }
            frontier = next
        }
    }
}
