import Foundation
import LerarCore

/// Finds the dark scaling factor k that minimises the noise of (light − bias − k·dark current), as PixInsight's
/// ImageCalibration does: only pixels of the bias-subtracted dark above median + low·σ take part, and k is
/// bracketed then refined by golden-section search (shared/reference/integration.md §1.2, §1.4).
public enum DarkOptimizer {
    /// Pixels of the dark current map that drive the optimisation (hot-ish ones), or nil when fewer than 16.
    public static func optimizingPixels(darkCurrent: [Float], low: Double) -> [Int]? {
        let stats = darkCurrent.withUnsafeBufferPointer { RobustStatistics.compute($0) }
        let threshold = Float(stats.median + low * stats.sigmaMAD)
        let pixels = darkCurrent.indices.filter { darkCurrent[$0] > threshold && darkCurrent[$0].isFinite }
        return pixels.count >= 16 ? pixels : nil
    }

    /// k ≥ 0 minimising the standard deviation of `light − bias − k·darkCurrent` over `pixels`. Both are taken
    /// relative to the median of each pixel's 8 neighbours first: smooth sky and vignetting would otherwise
    /// correlate with smooth dark signal (amp glow) and bias k; hot pixels are what carries the dark's scale.
    /// (light − bias is formed only at the optimising pixels and their neighbours: a frame in flight takes no copies
    /// of its planes, where four whole planes were made before.)
    public static func factor(light lightPlane: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>,
                              darkCurrent: UnsafeBufferPointer<Float>, pixels: [Int], width: Int) -> Double {
        let height = lightPlane.count / width
        func local(_ value: (Int) -> Float, _ i: Int) -> Double {
            let x = i % width, y = i / width
            var neighbours: [Float] = []
            for dy in -1...1 { for dx in -1...1 where dx != 0 || dy != 0 {
                let nx = x + dx, ny = y + dy
                if nx >= 0, ny >= 0, nx < width, ny < height { neighbours.append(value(ny * width + nx)) }
            } }
            neighbours.sort()
            return Double(value(i)) - Double(neighbours[neighbours.count / 2])
        }
        let light = pixels.map { local({ lightPlane[$0] - bias[$0] }, $0) }, dark = pixels.map { local({ darkCurrent[$0] }, $0) }
        func noise(_ k: Double) -> Double {
            var sum = 0.0, squares = 0.0
            for j in 0..<light.count {
                let v = light[j] - k * dark[j]
                sum += v; squares += v * v
            }
            let mean = sum / Double(light.count)
            return squares / Double(light.count) - mean * mean
        }
        // The variance is a parabola in k; golden-section over a bracket wide enough for any sane temperature change.
        var a = 0.0, b = 8.0
        let ratio = (5.0.squareRoot() - 1) / 2
        var c = b - ratio * (b - a), d = a + ratio * (b - a)
        var fc = noise(c), fd = noise(d)
        while b - a > 0.0005 {
            if fc < fd { b = d; d = c; fd = fc; c = b - ratio * (b - a); fc = noise(c) } else { a = c; c = d; fc = fd; d = a + ratio * (b - a); fd = noise(d) }
        }
        return max(0, (a + b) / 2)
    }
}
