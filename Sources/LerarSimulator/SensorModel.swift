import Foundation
import LerarCore

/// The camera's fixed pattern: bias columns, dark current map (base, hot pixels, amp glow), dead column, cold pixels.
public struct SensorModel: Sendable {
    public struct HotPixel: Sendable, Codable { public var x: Int, y: Int; public var rate: Double }

    public let width: Int, height: Int
    /// Per-column bias offset, ADU.
    public let columnOffsets: [Float]
    /// Dark current at the set temperature, e-/s, per pixel (hot pixels and amp glow included).
    public let darkRate: [Float]
    public let hotPixels: [HotPixel]
    public let deadColumn: Int?
    public let coldPixels: [[Int]]

    public init(configuration c: SessionConfiguration) {
        width = c.width
        height = c.height
        var random = SeededRandom(seed: c.seed, stream: 1)
        columnOffsets = (0..<c.width).map { _ in Float(c.columnPatternADU * random.gaussian()) }
        var rate = [Float](repeating: Float(c.darkCurrent), count: c.width * c.height)
        if c.ampGlow > 0 {
            let radius = c.ampGlowRadius * Double(c.width)
            for y in 0..<c.height {
                for x in 0..<c.width {
                    let distance = hypot(Double(c.width - 1 - x), Double(y))
                    rate[y * c.width + x] += Float(c.ampGlow * exp(-distance / radius))
                }
            }
        }
        var hot: [HotPixel] = []
        if c.hotPixels {
            let count = Int((c.hotPixelFraction * Double(c.width * c.height)).rounded())
            var taken = Set<Int>()
            while hot.count < count {
                let index = Int(random.uniform() * Double(c.width * c.height))
                guard taken.insert(index).inserted else { continue }
                let current = random.uniform(in: c.hotPixelCurrent)
                rate[index] += Float(current)
                hot.append(HotPixel(x: index % c.width, y: index / c.width, rate: current))
            }
        }
        darkRate = rate
        hotPixels = hot
        deadColumn = c.deadColumn ? Int(Double(c.width) * (0.3 + 0.4 * random.uniform())) : nil
        coldPixels = (0..<c.coldPixelCount).map { _ in [Int(random.uniform() * Double(c.width)), Int(random.uniform() * Double(c.height))] }
    }

    /// Dark current scale at `temperature` relative to the set point (doubling every 6 °C).
    public static func temperatureFactor(_ temperature: Double, setPoint: Double) -> Double {
        pow(2, (temperature - setPoint) / 6)
    }
}
