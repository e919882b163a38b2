import Foundation
import LerarCore

/// Light transmission of the optical train per filter: vignetting times dust-donut shadows.
public struct OpticsModel: Sendable {
    public struct DustDonut: Sendable, Codable {
        public var x: Double, y: Double
        /// Outer radius, px; the shadow is a ring (the central obstruction leaves its middle brighter).
        public var radius: Double
        /// Fractional light loss in the ring.
        public var depth: Double
        /// Empty for dust on the sensor window (seen through every filter).
        public var filter: String
    }

    public let donuts: [DustDonut]
    let configuration: SessionConfiguration

    /// The optics of `night` (1-based): the same vignetting, but dust of its own on later nights.
    public init(configuration c: SessionConfiguration, night: Int = 1) {
        configuration = c
        var random = SeededRandom(seed: c.seed, stream: 2 + 1000 * UInt64(max(0, night - 1)))
        var donuts: [DustDonut] = []
        guard c.dust else { self.donuts = []; return }
        let scale = Double(c.width) / 1024
        func donut(_ filter: String) -> DustDonut {
            DustDonut(x: random.uniform(in: 0.1...0.9) * Double(c.width), y: random.uniform(in: 0.1...0.9) * Double(c.height),
                      radius: random.uniform(in: 18...40) * scale, depth: random.uniform(in: 0.04...0.09), filter: filter)
        }
        let shared = max(1, c.dustDonutsPerFilter / 2)
        for _ in 0..<shared { donuts.append(donut("")) }
        for filter in c.effectiveFilters where !filter.isEmpty {
            for _ in 0..<max(0, c.dustDonutsPerFilter - shared) { donuts.append(donut(filter)) }
        }
        self.donuts = donuts
    }

    /// Transmission (peak ≈ 1) at every pixel for `filter`.
    public func transmission(filter: String) -> [Float] {
        let c = configuration
        let cx = Double(c.width - 1) / 2, cy = Double(c.height - 1) / 2
        let corner = hypot(cx, cy)
        var map = [Float](repeating: 1, count: c.width * c.height)
        for y in 0..<c.height {
            for x in 0..<c.width {
                var t = 1.0
                if c.vignetting {
                    let r = hypot(Double(x) - cx, Double(y) - cy) / corner
                    t *= 1 - c.vignettingDepth * r * r * (0.6 + 0.4 * r * r)
                }
                map[y * c.width + x] = Float(t)
            }
        }
        for donut in donuts where donut.filter.isEmpty || donut.filter == filter {
            let reach = Int(donut.radius) + 3
            for y in max(0, Int(donut.y) - reach)...min(c.height - 1, Int(donut.y) + reach) {
                for x in max(0, Int(donut.x) - reach)...min(c.width - 1, Int(donut.x) + reach) {
                    let r = hypot(Double(x) - donut.x, Double(y) - donut.y) / donut.radius
                    // Soft-edged annulus between 0.45 and 1 radius.
                    let outer = 1 / (1 + exp((r - 1) * 12)), inner = 1 / (1 + exp((0.45 - r) * 12))
                    map[y * c.width + x] *= Float(1 - donut.depth * outer * (0.35 + 0.65 * inner))
                }
            }
        }
        return map
    }
}
