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
    /// Whether a cell had data of its own (enough under `minimumFraction`), rather than a value from its neighbours.
    public let measured: [Bool]

    /// `minimumFraction`: a cell with fewer finite samples than this share of its own is left without a value (and
    /// filled from its neighbours), so a cell nearly covered by a mask does not rest on a handful of noisy pixels.
    public init(plane: [Float], width: Int, height: Int, cellSize: Int = 32, minimumFraction: Double = 0) {
        self.cellSize = cellSize
        columns = max(1, width / cellSize)
        rows = max(1, height / cellSize)
        let stride = Self.samplingStride(cellWidth: cellSize, cellHeight: cellSize)
        let (columns, rows) = (self.columns, self.rows)
        var raw = [Double](repeating: .nan, count: columns * rows)
        raw.withUnsafeMutableBufferPointer { raw in
            let shared = UnsafeSendable(raw)
            plane.withUnsafeBufferPointer { plane in
                let source = UnsafeSendable(plane)
                Parallel.forEach(iterations: rows) { row in
                    var values: [Float] = []
                    values.reserveCapacity(cellSize * cellSize / (stride * stride) + cellSize)
                    for column in 0..<columns {
                        values.removeAll(keepingCapacity: true)
                        let x1 = column == columns - 1 ? width : (column + 1) * cellSize, y1 = row == rows - 1 ? height : (row + 1) * cellSize
                        var samples = 0
                        for y in Swift.stride(from: row * cellSize, to: y1, by: stride) {
                            for x in Swift.stride(from: column * cellSize, to: x1, by: stride) {
                                samples += 1
                                if source.value[y * width + x].isFinite { values.append(source.value[y * width + x]) }
                            }
                        }
                        shared.value[row * columns + column] = Double(values.count) >= minimumFraction * Double(samples) ? Self.clippedMedian(&values) : .nan
                    }
                }
            }
        }
        measured = raw.map(\.isFinite)
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

    /// The background at every pixel (bilinear between cell centres, as `value`), rows in parallel; 4 bytes/px.
    public func map(width: Int, height: Int) -> [Float] { interpolated(width: width, height: height, subtractedFrom: nil) }

    /// `plane` minus the background at every pixel (the same Float values as `plane[i] - map[i]`, NaN where `plane`
    /// is), without the map: star analysis needs only the difference, and a map per frame in flight was 2 × 16 MB
    /// of the run's peak at 2048².
    public func residual(of plane: [Float], width: Int, height: Int) -> [Float] {
        plane.withUnsafeBufferPointer { interpolated(width: width, height: height, subtractedFrom: $0) }
    }

    private func interpolated(width: Int, height: Int, subtractedFrom plane: UnsafeBufferPointer<Float>?) -> [Float] {
        // Column positions and weights are the same on every row: compute them once.
        var c0 = [Int](repeating: 0, count: width), c1 = c0, fx = [Double](repeating: 0, count: width)
        for x in 0..<width {
            let gx = min(max((Double(x) + 0.5) / Double(cellSize) - 0.5, 0), Double(columns - 1))
            c0[x] = Int(gx); c1[x] = min(c0[x] + 1, columns - 1); fx[x] = gx - Double(c0[x])
        }
        let columnsTable = UnsafeSendable((c0, c1, fx)), source = plane.map(UnsafeSendable.init)
        // Every sample is written below: no zero fill first.
        return [Float](unsafeUninitializedCapacity: width * height) { out, initialized in
            let shared = UnsafeSendable(out)
            Parallel.forEachChunk(count: height, minimumChunkSize: 16) { rowRange in
                let (c0, c1, fx) = columnsTable.value
                for y in rowRange {
                    let gy = min(max((Double(y) + 0.5) / Double(cellSize) - 0.5, 0), Double(rows - 1))
                    let r0 = Int(gy), r1 = min(r0 + 1, rows - 1), fy = gy - Double(r0)
                    let top = r0 * columns, bottom = r1 * columns
                    let row = shared.value.baseAddress! + y * width
                    func background(_ x: Int) -> Float {
                        let t = cells[top + c0[x]] * (1 - fx[x]) + cells[top + c1[x]] * fx[x]
                        let b = cells[bottom + c0[x]] * (1 - fx[x]) + cells[bottom + c1[x]] * fx[x]
                        return Float(t * (1 - fy) + b * fy)
                    }
                    // Two loops, so the per-pixel work has no optional to test.
                    if let source {
                        let planeRow = source.value.baseAddress! + y * width
                        for x in 0..<width { (row + x).initialize(to: planeRow[x] - background(x)) }
                    } else {
                        for x in 0..<width { (row + x).initialize(to: background(x)) }
                    }
                }
            }
            initialized = width * height
        }
    }

    /// Robust σ (1.4826·MAD, selection-based: no sort) of `plane` minus this background, sampled every `step` px.
    public func residualSigma(_ plane: [Float], width: Int, height: Int, step: Int = 4, map: [Float]? = nil) -> Double {
        var residuals: [Float] = []
        residuals.reserveCapacity((width / step + 1) * (height / step + 1))
        for y in stride(from: 0, to: height, by: step) {
            for x in stride(from: 0, to: width, by: step) where plane[y * width + x].isFinite {
                residuals.append(plane[y * width + x] - (map.map { $0[y * width + x] } ?? Float(value(x: x, y: y))))
            }
        }
        return Self.robustSigma(&residuals)
    }

    /// Robust σ of a residual (an image minus its background, NaN where no data) sampled every `step` px.
    /// Gathered by row chunks in parallel (the order of the samples does not change their σ).
    public static func residualSigma(ofResidual residual: [Float], width: Int, height: Int, step: Int = 4) -> Double {
        let sampledRows = (height + step - 1) / step
        let parts = residual.withUnsafeBufferPointer { residual in
            let shared = UnsafeSendable(residual)
            return Parallel.mapChunks(count: sampledRows, minimumChunkSize: 16) { rows -> [Float] in
                var part: [Float] = []
                part.reserveCapacity(rows.count * (width / step + 1))
                for y in rows.lazy.map({ $0 * step }) {
                    for x in stride(from: 0, to: width, by: step) where shared.value[y * width + x].isFinite { part.append(shared.value[y * width + x]) }
                }
                return part
            }
        }
        var residuals = parts.count == 1 ? parts[0] : Array(parts.joined())
        return robustSigma(&residuals)
    }

    /// 1.4826 × the median absolute deviation of `values` (reordered); NaN for fewer than two. A frame's million
    /// samples are selected by parallel histogram passes (the same values as a quickselect): star analysis ran
    /// this on its frame's thread alone, a sixth of a 4096² frame's serial time (stop 34).
    static func robustSigma(_ values: inout [Float]) -> Double {
        guard values.count >= 2 else { return .nan }
        func median(_ values: inout [Float]) -> Float {
            values.count >= 1 << 18 ? values.withUnsafeBufferPointer { RobustStatistics.selectMedian($0) } : Self.selectMedian(&values)
        }
        let centre = median(&values)
        values.withUnsafeMutableBufferPointer { buffer in
            let shared = UnsafeSendable(buffer)
            Parallel.forEachChunk(count: buffer.count, minimumChunkSize: 1 << 16) { chunk in
                for i in chunk { shared.value[i] = abs(shared.value[i] - centre) }
            }
        }
        return 1.4826 * Double(median(&values))
    }

    /// Median sky level over the cells.
    public var level: Double { Self.median(cells.filter(\.isFinite)) }

    /// Peak-to-peak of the smoothed cells.
    public var peakToPeak: Double {
        let finite = cells.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return .nan }
        return high - low
    }

    /// Row and column step that samples a cell down to at most 4096 values: enough to fix a clipped median to ~2 %
    /// of the noise σ, while the clipped medians of full cells were the largest cost of star analysis and LN.
    public static func samplingStride(cellWidth: Int, cellHeight: Int) -> Int {
        max(1, Int((Double(cellWidth * cellHeight) / 4096).squareRoot().rounded(.up)))
    }

    /// Median of doubles (mean of the two central ones for an even count); NaN when empty.
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// Median of a non-empty array by selection (mean of the two central values for an even count); reorders it.
    public static func selectMedian(_ values: inout [Float]) -> Float {
        let n = values.count, upper = QuickSelect.kthSmallest(&values, n / 2)
        guard n % 2 == 0 else { return upper }
        // After selection everything below n/2 is ≤ upper; the lower central value is their maximum.
        var lower = -Float.infinity
        for i in 0..<(n / 2) where values[i] > lower { lower = values[i] }
        return (lower + upper) / 2
    }
}
