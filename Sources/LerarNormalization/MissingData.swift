import Foundation
import LerarCore

/// Where an image has no data: NaN pixels (registration borders), zero or clipped pixels (dead columns, ≤ the low
/// clip), whole columns and rows without data, and the bounding box of what has data.
public struct MissingData: Sendable, Codable, Equatable {
    public var nanPixels = 0, zeroPixels = 0
    /// Columns and rows (0-based) where no pixel of channel 0 has data.
    public var emptyColumns: [Int] = [], emptyRows: [Int] = []
    /// Columns (0-based) where more than half the pixels are zero or clipped but not NaN: dead or bad columns.
    public var deadColumns: [Int] = []
    /// Bounding box of the pixels with data: x, y, width, height.
    public var dataBox: [Int] = []

    public init(_ image: Image, clipping: LargeScaleBackground.Clipping = .init()) {
        let width = image.width, height = image.height
        var columnNaN = [Int](repeating: 0, count: width), columnZero = columnNaN, rowData = [Int](repeating: 0, count: height)
        image.withChannel(0) { plane in
            for y in 0..<height {
                for x in 0..<width {
                    let v = plane[y * width + x]
                    if v.isNaN { columnNaN[x] += 1 } else if v <= clipping.low { columnZero[x] += 1 } else { rowData[y] += 1 }
                }
            }
        }
        nanPixels = columnNaN.reduce(0, +)
        zeroPixels = columnZero.reduce(0, +)
        emptyColumns = (0..<width).filter { columnNaN[$0] + columnZero[$0] == height }
        emptyRows = (0..<height).filter { rowData[$0] == 0 }
        deadColumns = (0..<width).filter { columnZero[$0] * 2 > height }
        let dataColumns = (0..<width).filter { columnNaN[$0] + columnZero[$0] < height }
        let dataRows = (0..<height).filter { rowData[$0] > 0 }
        if let x0 = dataColumns.first, let x1 = dataColumns.last, let y0 = dataRows.first, let y1 = dataRows.last {
            dataBox = [x0, y0, x1 - x0 + 1, y1 - y0 + 1]
        }
    }

    public var isEmpty: Bool { nanPixels == 0 && zeroPixels == 0 }

    /// One line for logs: counts and where.
    public var summary: String {
        var parts: [String] = []
        if nanPixels > 0 { parts.append("\(nanPixels) NaN pixels" + (dataBox.count == 4 ? " (data within x \(dataBox[0])…\(dataBox[0] + dataBox[2] - 1), y \(dataBox[1])…\(dataBox[1] + dataBox[3] - 1))" : "")) }
        if zeroPixels > 0 {
            let columns = deadColumns.prefix(8).map(String.init).joined(separator: ", ") + (deadColumns.count > 8 ? ", …" : "")
            parts.append("\(zeroPixels) zero-valued pixels" + (deadColumns.isEmpty ? "" : " (dead columns x = \(columns))"))
        }
        return parts.isEmpty ? "no missing data" : parts.joined(separator: "; ")
    }
}
