import Testing
@testable import LerarCore
@testable import LerarRegistration

/// Star analysis takes the image minus its background without the background map: the same samples, the same σ.
@Suite struct BackgroundResidualTests {
    @Test func residualEqualsThePlaneLessTheMapBitForBit() {
        let width = 203, height = 157
        var random = SeededRandom(seed: 21)
        var plane = (0..<(width * height)).map { i in Float(0.2 + 0.005 * Double(i % width) / Double(width) + 0.01 * random.gaussian()) }
        for i in stride(from: 17, to: plane.count, by: 97) { plane[i] = .nan }   // no-data pixels stay NaN
        let grid = BackgroundGrid(plane: plane, width: width, height: height, cellSize: 32)
        let map = grid.map(width: width, height: height)
        let residual = grid.residual(of: plane, width: width, height: height)
        var differing = 0
        for i in plane.indices {
            let want = plane[i] - map[i]
            if !(want == residual[i] || (want.isNaN && residual[i].isNaN)) { differing += 1 }
        }
        #expect(differing == 0, "\(differing) samples differ")
        #expect(residual.contains { $0.isNaN } && residual.contains { $0 != 0 })
        let fromMap = grid.residualSigma(plane, width: width, height: height, map: map)
        let fromResidual = BackgroundGrid.residualSigma(ofResidual: residual, width: width, height: height)
        #expect(fromMap == fromResidual)
        #expect(abs(fromResidual / 0.01 - 1) < 0.1, "σ \(fromResidual) of noise 0.01")
    }

    /// A frame's million residual samples take the parallel selection: the σ the one-thread quickselect gives.
    @Test func parallelSelectionGivesTheSameSigma() {
        let width = 2052, height = 2052
        var random = SeededRandom(seed: 5)
        var plane = (0..<(width * height)).map { i in Float(0.3 + 0.002 * Double(i / width) / Double(height) + 0.01 * random.gaussian()) }
        for i in stride(from: 3, to: plane.count, by: 1001) { plane[i] = .nan }
        let grid = BackgroundGrid(plane: plane, width: width, height: height, cellSize: 128)
        let residual = grid.residual(of: plane, width: width, height: height)
        #expect((width / 4) * (height / 4) >= 1 << 18, "enough samples for the parallel path")
        // The one-thread quickselect's 1.4826 · MAD of the same samples.
        var samples: [Float] = []
        for y in stride(from: 0, to: height, by: 4) { for x in stride(from: 0, to: width, by: 4) where residual[y * width + x].isFinite { samples.append(residual[y * width + x]) } }
        let median = BackgroundGrid.selectMedian(&samples)
        for i in samples.indices { samples[i] = abs(samples[i] - median) }
        let serial = 1.4826 * Double(BackgroundGrid.selectMedian(&samples))
        let parallel = BackgroundGrid.residualSigma(ofResidual: residual, width: width, height: height)
        #expect(serial == parallel)
        #expect(abs(parallel / 0.01 - 1) < 0.05)
    }
}
