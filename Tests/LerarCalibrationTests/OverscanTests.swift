import Foundation
import LerarCore
import LerarIO
import Testing
@testable import LerarCalibration

/// Overscan subtraction and trimming, as ccdproc does it, on frames made in code.
@Suite struct OverscanTests {
    /// 40×20 frame: 8 overscan columns on the right at a bias drifting by 2 ADU per row, data 1000 ADU above it.
    static func frame(smoothingSafe: Bool = false) -> Image {
        var image = Image(width: 40, height: 20, metadata: ImageMetadata(keywords: [
            .string("IMAGETYP", "Light Frame"), .string("BIASSEC", "[33:40,1:20]"), .string("TRIMSEC", "[1:32,1:20]"),
        ]))
        for y in 0..<20 {
            let bias = smoothingSafe ? 500.0 : 500 + 2 * Double(y)
            for x in 0..<40 { image[x, y] = Float((bias + (x < 32 ? 1000 : 0)) / 65535) }
        }
        return image
    }

    @Test func overscanIsSubtractedPerRowAndTheFrameTrimmed() throws {
        let corrected = try OverscanCorrection.apply(Self.frame(), smoothing: 1)
        #expect(corrected.width == 32 && corrected.height == 20)
        #expect(corrected.samples.allSatisfy { abs($0 * 65535 - 1000) < 0.01 })
        #expect(corrected.metadata.keyword("BIASSEC") == nil && corrected.metadata.keyword("TRIMSEC") == nil)
        #expect(corrected.metadata.keywords.contains { $0.name == "HISTORY" && $0.comment.contains("overscan") })
        // The default smoothing averages 31 rows: exact for a steady bias.
        let steady = try OverscanCorrection.apply(Self.frame(smoothingSafe: true))
        #expect(steady.samples.allSatisfy { abs($0 * 65535 - 1000) < 0.01 })
        // Without TRIMSEC, the overscan strip itself is cut away.
        var untrimmed = Self.frame()
        untrimmed.metadata.removeKeyword("TRIMSEC")
        #expect(try OverscanCorrection.apply(untrimmed, smoothing: 1).width == 32)
        // A section outside the frame is an error naming the keyword.
        var bad = Self.frame()
        bad.metadata.setKeyword(.string("BIASSEC", "[33:48,1:20]"))
        #expect(throws: OverscanCorrection.Failure.self) { try OverscanCorrection.apply(bad) }
    }

    @Test func calibrationWithOverscanTrimsLightsAndMastersAlike() throws {
        var parameters = CalibrationParameters()
        parameters.overscan = true
        parameters.overscanSmoothing = 1
        let bias = try OverscanCorrection.apply(Self.frame(), smoothing: 1) // a trimmed master: 1000 ADU of "bias structure"
        let calibrator = try LightCalibrator(bias: bias, dark: nil, flat: nil, parameters: parameters)
        var light = Self.frame()
        for y in 0..<20 { for x in 0..<32 { light[x, y] += Float(250.0 / 65535) } }
        let (calibrated, _) = try calibrator.calibrate(light)
        #expect(calibrated.width == 32 && calibrated.samples.allSatisfy { abs($0 * 65535 - 250) < 0.01 })
        // Untrimmed masters with overscan-corrected lights: a size error that says why.
        let untrimmed = try LightCalibrator(bias: Self.frame(), dark: nil, flat: nil, parameters: parameters)
        #expect(throws: CalibrationError.self) { try untrimmed.calibrate(Self.frame()) }
    }
}
