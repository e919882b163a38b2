import Foundation
import LerarCore
import LerarIO
import Testing
@testable import LerarSimulator

/// The simulated calibration frames show the configured physics.
@Suite struct PhysicsTests {
    let c: SessionConfiguration
    let writer: SessionWriter

    init() {
        var c = smallConfiguration(seed: 11)
        c.width = 512
        c.height = 512
        c.filters = ["L"]
        c.lightsPerFilter = 2
        self.c = c
        writer = SessionWriter(configuration: c)
    }

    func frame(_ kind: FrameKind, _ index: Int = 0) -> [Double] {
        writer.renderer.render(writer.plan.frames.filter { $0.kind == kind }[index]).map(Double.init)
    }

    @Test func biasLevelAndReadNoise() {
        let (a, b) = (frame(.bias, 0), frame(.bias, 1))
        let live = (0..<a.count).filter { $0 % c.width != writer.renderer.sensor.deadColumn }
        #expect(abs(median(live.map { a[$0] }) - c.biasADU) <= 1)
        // Read noise from the difference of two bias frames (the fixed column pattern cancels).
        let differences = live.map { a[$0] - b[$0] }
        let mean = differences.reduce(0, +) / Double(differences.count)
        let sigma = (differences.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(differences.count - 1)).squareRoot() / 2.squareRoot()
        let expected = ((c.readNoise / c.electronsPerADU) * (c.readNoise / c.electronsPerADU) + 1.0 / 12).squareRoot() // + quantisation
        #expect(abs(sigma / expected - 1) < 0.03, "read noise \(sigma) ADU, expected \(expected)")
        // Column pattern: column medians of a bias follow the configured offsets.
        let columnMedians = (0..<c.width).map { x in median((0..<c.height).map { a[$0 * c.width + x] }) - c.biasADU }
        let offsets = writer.renderer.sensor.columnOffsets.map(Double.init)
        let live2 = (0..<c.width).filter { $0 != writer.renderer.sensor.deadColumn }
        let error = live2.map { abs(columnMedians[$0] - offsets[$0]) }.reduce(0, +) / Double(live2.count)
        #expect(error < 0.6, "column pattern error \(error) ADU")
    }

    @Test func hotPixelCountDarkCurrentAndDeadColumn() {
        let dark = frame(.dark, 0) // 300 s
        let level = median(dark)
        let threshold = level + 100 // the dimmest hot pixel gives 0.5 e-/s × 300 s / 0.8 ≈ 190 ADU
        let dead = writer.renderer.sensor.deadColumn!
        let found = (0..<dark.count).filter { dark[$0] > threshold }
        let expected = writer.renderer.sensor.hotPixels.filter { $0.x != dead }.count
        #expect(expected == Int((c.hotPixelFraction * Double(c.width * c.height)).rounded()) - writer.renderer.sensor.hotPixels.filter { $0.x == dead }.count)
        #expect(found.count == expected, "found \(found.count) hot pixels, simulated \(expected)")
        // Dark current: 0.003 e-/s × 300 s = 0.9 e- ≈ 1.1 ADU above bias and column offset (hot pixels left out).
        let hot = Set(writer.renderer.sensor.hotPixels.map { $0.y * c.width + $0.x })
        let centre = (200..<312).flatMap { y in (200..<312).map { y * c.width + $0 } }.filter { $0 % c.width != dead && !hot.contains($0) }
        let offsets = writer.renderer.sensor.columnOffsets
        let mean = centre.map { dark[$0] - Double(offsets[$0 % c.width]) }.reduce(0, +) / Double(centre.count)
        let frameInfo = writer.plan.frames.first { $0.kind == .dark }!
        let factor = SensorModel.temperatureFactor(frameInfo.sensorTemperature, setPoint: c.setTemperature)
        let rates = writer.renderer.sensor.darkRate // base current plus the faint tail of the amp glow
        let expectedLevel = centre.map { Double(rates[$0]) }.reduce(0, +) / Double(centre.count) * 300 * factor / c.electronsPerADU
        #expect(abs(expectedLevel - c.darkCurrent * 300 / c.electronsPerADU) < 0.5)
        #expect(abs(mean - c.biasADU - expectedLevel) < 0.1, "dark level \(mean - c.biasADU) ADU, expectedLevel \(expectedLevel)")
        // Amp glow: the top-right corner is brighter than the top-left one.
        #expect(median((0..<8).flatMap { y in (c.width - 8..<c.width).map { dark[y * c.width + $0] } }) > level + 15)
        #expect((0..<c.height).allSatisfy { dark[$0 * c.width + dead] == 0 })
    }

    @Test func flatShowsVignettingDepthAndDust() {
        let flat = frame(.flat, 0)
        func boxMedian(_ x0: Int, _ y0: Int) -> Double {
            median((y0..<y0 + 5).flatMap { y in (x0..<x0 + 5).map { flat[y * c.width + $0] - c.biasADU } })
        }
        let centre = boxMedian(c.width / 2 - 2, c.height / 2 - 2)
        let corners = [boxMedian(0, 0), boxMedian(c.width - 5, 0), boxMedian(0, c.height - 5), boxMedian(c.width - 5, c.height - 5)]
        for corner in corners { #expect(abs(corner / centre - (1 - c.vignettingDepth)) < 0.02, "corner/centre \(corner / centre)") }
        #expect(abs(centre - c.flatTargetADU) < 0.02 * c.flatTargetADU)
        // Each dust donut darkens its ring in the flat as the transmission says, by most of its depth.
        let transmission = writer.renderer.transmissions["L"]!
        var dustOnly = c
        dustOnly.vignetting = false
        let dustTransmission = OpticsModel(configuration: dustOnly).transmission(filter: "L")
        for donut in writer.renderer.optics.donuts where donut.filter.isEmpty || donut.filter == "L" {
            let ringX = Int(donut.x + 0.75 * donut.radius), clearX = Int(donut.x + 2 * donut.radius), y = Int(donut.y)
            guard clearX + 3 < c.width, y > 3, y + 3 < c.height else { continue }
            let expected = Double(transmission[y * c.width + ringX] / transmission[y * c.width + clearX])
            let measured = boxMedian(ringX - 2, y - 2) / boxMedian(clearX - 2, y - 2)
            #expect(abs(measured - expected) < 0.012, "donut ring ratio \(measured), transmission says \(expected)")
            let loss = 1 - Double(dustTransmission[y * c.width + ringX] / dustTransmission[y * c.width + clearX])
            #expect(loss > 0.85 * donut.depth && loss <= donut.depth, "ring loss \(loss), depth \(donut.depth)")
        }
    }

    @Test func truthTransformPutsStarsOnTheirCentroids() throws {
        let session = writer.plan
        for light in session.frames.filter({ $0.kind == .light }) {
            let image = writer.renderer.render(light).map(Double.init)
            let conditions = try #require(light.conditions)
            let stars = writer.renderer.catalogue.stars
            var errors: [Double] = []
            for (index, star) in stars.enumerated() where star.rate > 3000 && star.rate < 20_000 {
                let p = conditions.referenceToLight.apply(star.x, star.y)
                guard p.x > 12, p.y > 12, p.x < Double(c.width - 13), p.y < Double(c.height - 13) else { continue }
                // Isolated: no other star brighter than 1 % of it within 14 px.
                let crowded = stars.enumerated().contains { other in
                    other.offset != index && hypot(other.element.x - star.x, other.element.y - star.y) < 14 && other.element.rate > 0.01 * star.rate
                }
                if crowded { continue }
                let (cx, cy) = centroid(image, width: c.width, x: p.x, y: p.y)
                errors.append(hypot(cx - p.x, cy - p.y))
            }
            #expect(errors.count >= 5, "too few test stars: \(errors.count)")
            let rms = (errors.map { $0 * $0 }.reduce(0, +) / Double(errors.count)).squareRoot()
            #expect(rms < 0.1, "centroid RMS \(rms) px on \(light.relativePath) (flipped: \(conditions.meridianFlipped))")
        }
    }

    /// Background-subtracted intensity centroid in a 7 px radius, background from a 10–14 px annulus.
    func centroid(_ image: [Double], width: Int, x: Double, y: Double) -> (Double, Double) {
        let ix = Int(x.rounded()), iy = Int(y.rounded())
        var annulus: [Double] = []
        for dy in -14...14 { for dx in -14...14 { let r = hypot(Double(dx), Double(dy)); if r >= 10 && r <= 14 { annulus.append(image[(iy + dy) * width + ix + dx]) } } }
        let background = median(annulus)
        var sum = 0.0, sx = 0.0, sy = 0.0
        for dy in -7...7 { for dx in -7...7 where hypot(Double(dx), Double(dy)) <= 7 {
            let value = image[(iy + dy) * width + ix + dx] - background
            sum += value; sx += value * Double(ix + dx); sy += value * Double(iy + dy)
        } }
        return (sx / sum, sy / sum)
    }
}
