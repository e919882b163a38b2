import Foundation
import LerarCore

/// The common area where every frame has data, as a rectangle: registration leaves NaN borders that differ frame to
/// frame, and a stack keeps the full area only where all frames overlap.
public struct Autocrop: Sendable {
    public let width: Int, height: Int
    /// True where every frame added so far has data.
    private var valid: [Bool]

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        valid = [Bool](repeating: true, count: width * height)
    }

    /// Marks the pixels where `image` (channel 0) has no data (NaN or 0).
    /// In parallel chunks: each frame's pass ran on its frame's thread alone (stop 34).
    public mutating func add(_ image: Image) {
        image.withChannel(0) { plane in
            valid.withUnsafeMutableBufferPointer { valid in
                let shared = UnsafeSendable((plane, valid))
                Parallel.forEachChunk(count: min(plane.count, valid.count), minimumChunkSize: 1 << 16) { range in
                    let (plane, valid) = shared.value
                    for i in range where plane[i].isNaN || plane[i] == 0 { valid[i] = false }
                }
            }
        }
    }

    /// A large rectangle wholly inside the common area (x, y, width, height), from shrinking the frame's box one border
    /// line at a time, always the line with the largest share of missing pixels; nil when nothing is common.
    public func rectangle() -> (x: Int, y: Int, width: Int, height: Int)? {
        var x0 = 0, x1 = width - 1, y0 = 0, y1 = height - 1
        func missingInRow(_ y: Int) -> Int { (x0...x1).reduce(0) { $0 + (valid[y * width + $1] ? 0 : 1) } }
        func missingInColumn(_ x: Int) -> Int { (y0...y1).reduce(0) { $0 + (valid[$1 * width + x] ? 0 : 1) } }
        while x0 <= x1 && y0 <= y1 {
            let top = Double(missingInRow(y0)) / Double(x1 - x0 + 1), bottom = Double(missingInRow(y1)) / Double(x1 - x0 + 1)
            let left = Double(missingInColumn(x0)) / Double(y1 - y0 + 1), right = Double(missingInColumn(x1)) / Double(y1 - y0 + 1)
            let worst = max(top, bottom, left, right)
            if worst == 0 { return (x0, y0, x1 - x0 + 1, y1 - y0 + 1) }
            if worst == top { y0 += 1 } else if worst == bottom { y1 -= 1 } else if worst == left { x0 += 1 } else { x1 -= 1 }
        }
        return nil
    }
}
