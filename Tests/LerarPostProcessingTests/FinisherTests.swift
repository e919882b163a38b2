import Foundation
import LerarCore
@testable import LerarPostProcessing
import Testing

@Suite struct FinisherTests {
    /// The steps run in the order that avoids the green fog, and an L makes it an LRGB.
    @Test func stepsRunInOrder() throws {
        let field = ColorFieldFixture()
        var l = field.green
        l.withMutableChannel(0) { plane in for i in 0..<plane.count { plane[i] = (field.red.samples[i] + field.green.samples[i] + field.blue.samples[i]) / 3 } }
        let products = try Finisher.run(FinishInputs(luminance: l, red: field.red, green: field.green, blue: field.blue))
        #expect(products.steps.map(\.name) == ["LinearFit", "ChannelCombination", "BackgroundNeutralization", "ColorCalibration", "SCNR", "PSF",
                                               "Deconvolution", "Stretch RGB", "Stretch L", "LRGBCombination"])
        #expect(products.hasLuminance && products.final.channelCount == 3 && products.psf != nil)
        #expect(products.notes.contains { $0.contains("no LN reference") })
    }

    /// A field without stars (a nebula filling the frame) still gets its image; the steps that need stars are
    /// skipped with the reason.
    @Test func starlessFieldIsFinishedWithNotes() throws {
        var random = SeededRandom(seed: 4)
        let planes = (0..<3).map { channel in
            (0..<(128 * 128)).map { i -> Float in
                let x = Double(i % 128) - 64, y = Double(i / 128) - 64
                return Float([0.02, 0.03, 0.018][channel] + 0.01 * exp(-(x * x + y * y) / 800) + 0.0004 * random.gaussian())
            }
        }
        let images = planes.map { Image(width: 128, height: 128, samples: $0) }
        let products = try Finisher.run(FinishInputs(red: images[0], green: images[1], blue: images[2]))
        #expect(products.notes.contains { $0.hasPrefix("colour calibration skipped") }, "\(products.notes)")
        #expect(products.notes.contains { $0.hasPrefix("deconvolution skipped") }, "\(products.notes)")
        #expect(!products.steps.contains { $0.name == "Deconvolution" } && products.psf == nil)
        #expect(products.final.samples.allSatisfy { $0.isFinite })
    }
}
