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
}
