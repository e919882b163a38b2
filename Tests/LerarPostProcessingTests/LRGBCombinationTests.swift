import Foundation
import LerarCore
@testable import LerarPostProcessing
import Testing

@Suite struct LRGBCombinationTests {
    /// The stretched L becomes the lightness of the result and the object's hue is kept (mean error < 5°).
    @Test func luminanceReplacesLightnessAndHueIsKept() throws {
        let field = ColorFieldFixture()
        let neutral = try BackgroundNeutralization.apply(to: field.rgb).image
        let calibrated = try ColorCalibration.apply(to: neutral).image
        let rgb = AutoStretch.apply(to: calibrated)
        // A luminance master: the channels' sum with its own (lower) noise, stretched on its own.
        var l = Image(width: field.width, height: field.height)
        l.withMutableChannel(0) { plane in for i in 0..<plane.count { plane[i] = (field.red.samples[i] + field.green.samples[i] + field.blue.samples[i]) / 3 } }
        let stretchedL = AutoStretch.apply(to: l)
        let result = try LRGBCombination.combine(luminance: stretchedL, rgb: rgb)
        #expect(result.notes.isEmpty, "\(result.notes)")
        var lightnessError = 0.0, hueError = 0.0, hueCount = 0, count = 0
        let centre = field.width / 2
        for y in 0..<field.height {
            for x in 0..<field.width {
                let out = CIELab.lab(r: Double(result.image[x, y, 0]), g: Double(result.image[x, y, 1]), b: Double(result.image[x, y, 2]))
                let inGamut = (0..<3).allSatisfy { result.image[x, y, $0] > 0.001 && result.image[x, y, $0] < 0.999 }
                if inGamut { lightnessError = max(lightnessError, abs(out.l / 100 - Double(stretchedL[x, y]))); count += 1 }
                let r = hypot(Double(x - centre), Double(y - centre))
                if r < 12 {
                    let before = CIELab.lab(r: Double(rgb[x, y, 0]), g: Double(rgb[x, y, 1]), b: Double(rgb[x, y, 2]))
                    let d = abs(out.hueDegrees - before.hueDegrees)
                    hueError += min(d, 360 - d); hueCount += 1
                }
            }
        }
        #expect(count > field.width * field.height / 2)
        #expect(lightnessError < 0.002, "largest |L*/100 − L| \(lightnessError)")
        #expect(hueError / Double(hueCount) < 5, "mean hue error of the object \(hueError / Double(hueCount))°")
        // Saturation below 0.5 boosts chroma on the object, weighted by lightness.
        let saturated = try LRGBCombination.combine(luminance: stretchedL, rgb: rgb, parameters: LRGBCombinationParameters(saturation: 0.3))
        let plain = CIELab.lab(r: Double(result.image[centre, centre, 0]), g: Double(result.image[centre, centre, 1]), b: Double(result.image[centre, centre, 2]))
        let boosted = CIELab.lab(r: Double(saturated.image[centre, centre, 0]), g: Double(saturated.image[centre, centre, 1]), b: Double(saturated.image[centre, centre, 2]))
        #expect(boosted.chroma > plain.chroma * 1.1, "chroma \(plain.chroma) → \(boosted.chroma)")
    }

    @Test func chrominanceNoiseReductionLowersSkyChromaNoise() throws {
        let field = ColorFieldFixture()
        let rgb = AutoStretch.apply(to: try BackgroundNeutralization.apply(to: field.rgb).image)
        let l = ChannelCombination.channel(1, of: rgb)
        let plain = try LRGBCombination.combine(luminance: l, rgb: rgb).image
        let smoothed = try LRGBCombination.combine(luminance: l, rgb: rgb, parameters: LRGBCombinationParameters(chrominanceNoiseReduction: true)).image
        func skyChromaSpread(_ image: Image) -> Double {
            let c = field.skyCorner
            var a: [Float] = []
            for y in c.y..<(c.y + c.height) { for x in c.x..<(c.x + c.width) {
                a.append(Float(CIELab.lab(r: Double(image[x, y, 0]), g: Double(image[x, y, 1]), b: Double(image[x, y, 2])).a))
            } }
            return a.withUnsafeBufferPointer { RobustStatistics.compute($0).mad }
        }
        #expect(skyChromaSpread(smoothed) < 0.5 * skyChromaSpread(plain), "a* spread \(skyChromaSpread(plain)) → \(skyChromaSpread(smoothed))")
    }

    @Test func mismatchedMediansAreReported() throws {
        let rgb = Image(width: 4, height: 4, colorSpace: .rgb, samples: [Float](repeating: 0.3, count: 48))
        let l = Image(width: 4, height: 4, samples: [Float](repeating: 0.02, count: 16))
        #expect(try LRGBCombination.combine(luminance: l, rgb: rgb).notes.count == 1)
    }
}
