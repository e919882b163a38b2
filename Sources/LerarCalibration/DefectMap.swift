import Foundation
import LerarCore

/// Pixels that cannot be trusted: hot (from the master dark), cold and dead columns (from the master flat).
/// Replaced in calibrated lights by the median of their good neighbours of the same CFA colour.
public struct DefectMap: Sendable {
    public let width: Int, height: Int
    public private(set) var hot: [Int] = []
    public private(set) var cold: [Int] = []
    /// Columns whose flat response is (almost) entirely gone.
    public private(set) var deadColumns: [Int] = []
    var isDefect: [Bool]
    /// Indices of the defective pixels (hot or cold), ascending.
    private(set) var defects: [Int] = []

    /// Hot pixels: master dark above its 3×3 neighbourhood median by more than `hotSigma`·σ (σ of those residuals),
    /// so smooth amp glow is not "hot". Cold: flat below `coldFraction` of its 5×5 median. A column with most of its
    /// pixels cold is a dead column. Neighbourhoods step by 2 px on CFA frames (same colour).
    public init(darkCurrent: [Float]?, flat: [Float]?, width: Int, height: Int, hotSigma: Double, coldFraction: Double, cfa: Bool) {
        self.width = width
        self.height = height
        isDefect = [Bool](repeating: false, count: width * height)
        let step = cfa ? 2 : 1
        if let dark = darkCurrent {
            let local = Self.localMedian(dark, width: width, height: height, radius: 1, step: step)
            let residual = zip(dark, local).map { $0 - $1 }
            let stats = residual.withUnsafeBufferPointer { RobustStatistics.compute($0) }
            let threshold = Float(stats.median + hotSigma * max(stats.sigmaMAD, 1e-9))
            for i in 0..<residual.count where residual[i] > threshold { hot.append(i); isDefect[i] = true }
        }
        if let flat {
            // A pixel can be cold only below coldFraction × the flat's maximum (no neighbourhood median exceeds it):
            // the 5×5 medians are needed only there, a few pixels instead of the whole frame.
            let ceiling = Float(coldFraction) * (flat.lazy.filter(\.isFinite).max() ?? 0)
            let local = Self.localMedian(flat, width: width, height: height, radius: 2, step: step) { flat[$0] < ceiling }
            var columnCold = [Int](repeating: 0, count: width)
            for i in 0..<flat.count where local[i] > 0 && flat[i] < Float(coldFraction) * local[i] {
                cold.append(i)
                isDefect[i] = true
                columnCold[i % width] += 1
            }
            deadColumns = (0..<width).filter { columnCold[$0] > height / 2 }
        }
        defects = Array(Set(hot + cold)).sorted()
    }

    /// Median of each pixel's (2r+1)² − 1 neighbours `step` px apart, in parallel over rows.
    /// Pixels `only` rejects get 0.
    static func localMedian(_ plane: [Float], width: Int, height: Int, radius: Int, step: Int,
                            only: (@Sendable (Int) -> Bool)? = nil) -> [Float] {
        var result = [Float](repeating: 0, count: plane.count)
        result.withUnsafeMutableBufferPointer { output in plane.withUnsafeBufferPointer { source in
            let shared = UnsafeSendable(output), input = UnsafeSendable(source)
            Parallel.forEachChunk(count: height, minimumChunkSize: 8) { rows in
                var neighbours = [Float]()
                neighbours.reserveCapacity((2 * radius + 1) * (2 * radius + 1))
                for y in rows {
                    // Inside the frame, 3×3 neighbourhoods of finite samples take the sorting network.
                    let eightNeighbours = only == nil && radius == 1 && y >= step && y < height - step
                    for x in 0..<width {
                        if eightNeighbours, x >= step, x < width - step,
                           let median = medianOfEightNeighbours(input.value, at: y * width + x, row: width * step, step: step) {
                            shared.value[y * width + x] = median
                            continue
                        }
                        if let only, !only(y * width + x) { continue }
                        neighbours.removeAll(keepingCapacity: true)
                        for dy in -radius...radius { for dx in -radius...radius where dx != 0 || dy != 0 {
                            let nx = x + dx * step, ny = y + dy * step
                            if nx >= 0, ny >= 0, nx < width, ny < height, input.value[ny * width + nx].isFinite { neighbours.append(input.value[ny * width + nx]) }
                        } }
                        guard !neighbours.isEmpty else { shared.value[y * width + x] = input.value[y * width + x]; continue }
                        neighbours.sort()
                        shared.value[y * width + x] = neighbours[neighbours.count / 2]
                    }
                }
            }
        } }
        return result
    }

    /// The upper median (5th smallest) of the 8 neighbours `step` px from `index`, by a 19-comparator sorting
    /// network; nil when one is not finite. The same value as sorting them: 5–10× faster than the general path,
    /// which gathered and sorted an array per pixel of the master dark.
    @inline(__always)
    static func medianOfEightNeighbours(_ plane: UnsafeBufferPointer<Float>, at index: Int, row: Int, step: Int) -> Float? {
        var v = (plane[index - row - step], plane[index - row], plane[index - row + step], plane[index - step],
                 plane[index + step], plane[index + row - step], plane[index + row], plane[index + row + step])
        guard v.0.isFinite && v.1.isFinite && v.2.isFinite && v.3.isFinite && v.4.isFinite && v.5.isFinite && v.6.isFinite && v.7.isFinite else { return nil }
        @inline(__always) func order(_ a: inout Float, _ b: inout Float) { let low = min(a, b); b = max(a, b); a = low }
        order(&v.0, &v.2); order(&v.1, &v.3); order(&v.4, &v.6); order(&v.5, &v.7)
        order(&v.0, &v.4); order(&v.1, &v.5); order(&v.2, &v.6); order(&v.3, &v.7)
        order(&v.0, &v.1); order(&v.2, &v.3); order(&v.4, &v.5); order(&v.6, &v.7)
        order(&v.2, &v.4); order(&v.3, &v.5)
        order(&v.1, &v.4); order(&v.3, &v.6)
        order(&v.1, &v.2); order(&v.3, &v.4); order(&v.5, &v.6)
        return v.4
    }

    /// Replaces every defect of `plane` by the median of its nearest good same-colour neighbours. Only good
    /// pixels are read and only defects written, so the plane is repaired in place without a copy, and the defects
    /// are repaired in parallel chunks: in `lerar run` a frame's repair ran alone on its frame's thread, which
    /// limits a many-core machine with few frames in flight (stop 34).
    public func repair(_ plane: UnsafeMutableBufferPointer<Float>, cfa: Bool) {
        let step = cfa ? 2 : 1
        let shared = UnsafeSendable(plane)
        defects.withUnsafeBufferPointer { defects in
            isDefect.withUnsafeBufferPointer { isDefect in
                let inputs = UnsafeSendable((defects, isDefect))
                Parallel.forEachChunk(count: defects.count, minimumChunkSize: 1024) { chunk in
                    let (defects, isDefect) = inputs.value, plane = shared.value
                    var values: [Float] = []
                    values.reserveCapacity(48)
                    for index in defects[chunk] {
                        let x = index % width, y = index / width
                        values.removeAll(keepingCapacity: true)
                        for radius in 1...3 where values.count < 3 {
                            for dy in -radius...radius { for dx in -radius...radius where max(abs(dx), abs(dy)) == radius {
                                let nx = x + dx * step, ny = y + dy * step
                                guard nx >= 0, ny >= 0, nx < width, ny < height, !isDefect[ny * width + nx] else { continue }
                                let v = plane[ny * width + nx]
                                if v.isFinite { values.append(v) }
                            } }
                        }
                        guard !values.isEmpty else { continue }
                        values.sort()
                        plane[index] = values[values.count / 2]
                    }
                }
            }
        }
    }

    /// Pixels `repair` replaces.
    public var count: Int { defects.count }
}
