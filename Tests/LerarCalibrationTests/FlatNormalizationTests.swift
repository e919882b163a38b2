import Foundation
import Testing
import LerarCore
@testable import LerarCalibration

/// The flat normalization by sorting each CFA phase (the implementation before order statistics), to compare with.
private func sortedNormalization(_ flat: [Float], width: Int, floor: Double, cfa: Bool) -> ([Float], Int) {
    var plane = flat, invalid = 0
    for phase in 0..<(cfa ? 4 : 1) {
        let indices = (0..<plane.count).filter { !cfa || ((($0 % width) & 1) + 2 * ((($0 / width) & 1))) == phase }
        let values = indices.map { plane[$0] }.filter(\.isFinite).sorted()
        let cut = values.count / 20
        let kept = values[cut..<max(cut + 1, values.count - cut)]
        let mean = kept.reduce(0.0) { $0 + Double($1) } / Double(kept.count)
        for i in indices {
            let v = Double(plane[i]) / mean
            if !(v >= floor) || !v.isFinite { plane[i] = 1; invalid += 1 } else { plane[i] = Float(v) }
        }
    }
    return (plane, invalid)
}

@Suite struct FlatNormalizationTests {
    /// Odd sizes (a CFA phase's last column and row), a level per phase, vignetting, dust, NaN and dead pixels.
    @Test(arguments: [false, true])
    func equalsTheSortedTrimmedMean(cfa: Bool) throws {
        let width = 37, height = 23
        var random = SeededRandom(seed: 11)
        let levels: [Float] = [0.30, 0.55, 0.52, 0.21]
        let flat: [Float] = (0..<(width * height)).map { i in
            let x = i % width, y = i / width
            if i % 89 == 3 { return .nan }
            if i % 131 == 9 { return 0 }
            let phase = (x & 1) + 2 * (y & 1)
            let r2 = Float((x - 18) * (x - 18) + (y - 11) * (y - 11)) / 400
            return levels[cfa ? phase : 0] * (1 - 0.2 * r2) * Float(1 + 0.01 * random.gaussian())
        }
        let (normalized, invalid) = try LightCalibrator.normalize(flat: Image(width: width, height: height, samples: flat), floor: 0.05, cfa: cfa)
        let (expected, expectedInvalid) = sortedNormalization(flat, width: width, floor: 0.05, cfa: cfa)
        #expect(invalid == expectedInvalid && invalid > 0)
        var largest: Float = 0
        for i in 0..<flat.count { largest = max(largest, abs(normalized.samples[i] - expected[i]) / max(1e-30, abs(expected[i]))) }
        #expect(largest <= 2 * Float.ulpOfOne, "largest relative difference \(largest)")
    }

    /// Flats written as signed 16-bit without BZERO 32768 read ~32768 ADU low: a negative master flat over its
    /// negative mean would be positive again, with the vignetting turned over. Refused, per channel and CFA colour.
    @Test(arguments: [false, true])
    func aFlatWhoseLevelIsNotPositiveIsRefused(cfa: Bool) {
        let width = 40, height = 30
        for level: Float in [-0.14, 0, .nan] {
            // Only one CFA colour (or the whole plane) is unusable; the rest is a fine flat.
            let flat = (0..<(width * height)).map { i -> Float in
                let phase = (i % width & 1) + 2 * (i / width & 1)
                return !cfa || phase == 3 ? level * (1 + 0.001 * Float(i % 7)) : 0.4
            }
            #expect {
                _ = try LightCalibrator(bias: nil, dark: nil, flat: Image(width: width, height: height, samples: flat), cfa: cfa, parameters: CalibrationParameters())
            } throws: { error in
                guard case let CalibrationError.unusableMaster(_, reason) = error else { return false }
                return reason.contains("must be positive") && reason.contains("BZERO") && (!cfa || reason.contains("CFA position (1, 1)"))
            }
        }
        // A positive flat with a few negative pixels is used, those pixels left uncorrected.
        var flat = [Float](repeating: 0.4, count: width * height)
        flat[5] = -0.1
        #expect((try? LightCalibrator(bias: nil, dark: nil, flat: Image(width: width, height: height, samples: flat), cfa: cfa, parameters: CalibrationParameters()))?.invalidFlatPixels == 1)
    }
}
