import Testing
import LerarCore
@testable import LerarCalibration

/// The 3×3 local median of the master dark takes a sorting network inside the frame; it must give the general
/// path's values everywhere (borders, NaN and infinite neighbours, CFA steps).
@Suite struct DefectMapTests {
    @Test(arguments: [1, 2]) func eightNeighbourNetworkEqualsSortedNeighbours(step: Int) {
        let width = 67, height = 53
        var random = SeededRandom(seed: 42)
        var plane = (0..<(width * height)).map { _ in Float(random.gaussian() * 10 + 100) }
        // Quantized values (ties), hot pixels and samples that are not finite.
        for i in stride(from: 0, to: plane.count, by: 7) { plane[i] = Float(Int(plane[i])) }
        for i in stride(from: 3, to: plane.count, by: 97) { plane[i] = 5000 }
        for i in stride(from: 11, to: plane.count, by: 211) { plane[i] = .nan }
        for i in stride(from: 19, to: plane.count, by: 307) { plane[i] = .infinity }
        let network = DefectMap.localMedian(plane, width: width, height: height, radius: 1, step: step)
        // `only` keeps every pixel on the general path (gather the finite neighbours, sort, take the upper median).
        let general = DefectMap.localMedian(plane, width: width, height: height, radius: 1, step: step) { _ in true }
        let differing = zip(network, general).filter { $0 != $1 && !($0.isNaN && $1.isNaN) }.count
        #expect(differing == 0)
        // A hot pixel stands out against its neighbourhood's median.
        let hot = 3 + 97 * 20
        #expect(plane[hot] - network[hot] > 4000)
    }

    /// Hot pixels of a master dark are found and only those.
    @Test func hotPixelsOfADarkAreFound() {
        let width = 40, height = 30
        var random = SeededRandom(seed: 7)
        var dark = (0..<(width * height)).map { _ in Float(10 + random.gaussian()) }
        let hot = [5 * width + 7, 20 * width + 33, 29 * width + 0]
        for i in hot { dark[i] = 400 }
        let map = DefectMap(darkCurrent: dark, flat: nil, width: width, height: height, hotSigma: 5, coldFraction: 0.5, cfa: false)
        #expect(map.hot == hot)
    }

    /// Repair in parallel chunks gives each defect the median of its nearest good same-colour neighbours, as a
    /// plain pass over the defects in order does: clusters of defects (whose neighbours are defects too), edges,
    /// NaN neighbours, and more defects than one chunk holds.
    @Test(arguments: [false, true]) func repairInChunksEqualsRepairInOrder(cfa: Bool) {
        let width = 211, height = 157
        var random = SeededRandom(seed: 3)
        var dark = (0..<(width * height)).map { _ in Float(10 + random.gaussian()) }
        for i in stride(from: 5, to: dark.count, by: 5) { dark[i] = 400 }       // 6,600 hot pixels: several chunks
        for i in (4 * width)..<(4 * width + 30) { dark[i] = 400 }                // a run along a row
        let map = DefectMap(darkCurrent: dark, flat: nil, width: width, height: height, hotSigma: 5, coldFraction: 0.5, cfa: cfa)
        #expect(map.count > 3 * 1024)
        var light = (0..<(width * height)).map { _ in Float(1000 + 30 * random.gaussian()) }
        for i in stride(from: 13, to: light.count, by: 101) { light[i] = .nan }
        var expected = light
        let step = cfa ? 2 : 1
        for index in 0..<light.count where map.isDefect[index] {
            let x = index % width, y = index / width
            var values: [Float] = []
            for radius in 1...3 where values.count < 3 {
                for dy in -radius...radius { for dx in -radius...radius where max(abs(dx), abs(dy)) == radius {
                    let nx = x + dx * step, ny = y + dy * step
                    guard nx >= 0, ny >= 0, nx < width, ny < height, !map.isDefect[ny * width + nx], light[ny * width + nx].isFinite else { continue }
                    values.append(light[ny * width + nx])
                } }
            }
            if !values.isEmpty { expected[index] = values.sorted()[values.count / 2] }
        }
        light.withUnsafeMutableBufferPointer { map.repair($0, cfa: cfa) }
        #expect(light.map(\.bitPattern) == expected.map(\.bitPattern))
    }
}
