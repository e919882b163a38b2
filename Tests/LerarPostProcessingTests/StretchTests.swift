import Foundation
import LerarCore
@testable import LerarPostProcessing
import Testing

@Suite struct StretchTests {
    @Test func midtonesTransferMapsItsBalanceToOneHalf() {
        for m in [0.05, 0.2, 0.5, 0.8] {
            #expect(abs(midtonesTransfer(m, m) - 0.5) < 1e-12)
            #expect(midtonesTransfer(m, 0) == 0 && midtonesTransfer(m, 1) == 1)
        }
        #expect(midtonesTransfer(0.5, 0.3) == 0.3)
        // m = MTF(y, x) is the balance that takes x to y.
        let x = 0.02, y = 0.25
        #expect(abs(midtonesTransfer(midtonesTransfer(y, x), x) - y) < 1e-12)
    }

    @Test func histogramTransformationClipsAndKeepsNoData() {
        let ht = HistogramTransformation(shadows: 0.1, midtones: 0.5, highlights: 0.6)
        #expect(ht.apply(0.05) == 0 && ht.apply(0.7) == 1)
        #expect(abs(ht.apply(0.35) - 0.5) < 1e-12)
        #expect(ht.apply(.nan).isNaN)
    }

    /// The linked STF puts the sky of a linear RGB image at the target background (0.25), ignoring NaN borders.
    @Test func autoStretchPutsTheSkyAtTheTargetBackground() {
        var image = ColorFieldFixture().rgb
        for channel in 0..<3 { for y in 0..<image.height { for x in 0..<20 { image[x, y, channel] = .nan } } }
        let linear = image.statistics().map(\.median)
        let transform = AutoStretch.transformations(for: image)[0]
        #expect(abs(transform.apply(linear.reduce(0, +) / 3) - 0.25) < 0.005, "the mean sky lands at \(transform.apply(linear.reduce(0, +) / 3))")
        let stretched = AutoStretch.apply(to: image)
        let medians = stretched.statistics().map(\.median)
        #expect(stretched[5, 5, 0].isNaN)
        // Unlinked: every channel's own sky lands at the target, so the green cast no longer shows.
        let unlinked = AutoStretch.apply(to: image, parameters: AutoStretchParameters(linked: false)).statistics().map(\.median)
        for median in unlinked { #expect(abs(median - 0.25) < 0.01, "unlinked \(unlinked)") }
        #expect(medians[1] > medians[0] + 0.05, "linked keeps the green sky's excess: \(medians)")
    }

    /// The arcsinh stretch multiplies the channels of a pixel by one factor, so their ratios survive.
    @Test func arcsinhStretchKeepsChannelRatios() {
        let image = Image(width: 2, height: 1, colorSpace: .rgb, samples: [0.01, 0.002, 0.02, 0.001, 0.015, 0.004])
        let stretched = ArcsinhStretch.apply(to: image, parameters: ArcsinhStretchParameters(stretch: 200, blackPoint: 0))
        #expect(abs(Double(stretched[0, 0, 0] / stretched[0, 0, 1]) - 0.01 / 0.02) < 1e-5)
        #expect(abs(Double(stretched[0, 0, 2] / stretched[0, 0, 1]) - 0.015 / 0.02) < 1e-5)
        #expect(stretched[0, 0, 1] > 0.1, "a 2 %-of-range pixel is lifted: \(stretched[0, 0, 1])")
        var withHole = image
        withHole[1, 0, 1] = .nan
        #expect(ArcsinhStretch.apply(to: withHole)[1, 0, 0].isNaN, "no data stays no data, never a zero")
    }

    @Test func cieLabRoundTripsAndGreyHasNoChroma() {
        for rgb in [(0.2, 0.5, 0.7), (0.9, 0.1, 0.3), (0.05, 0.05, 0.05)] {
            let lab = CIELab.lab(r: rgb.0, g: rgb.1, b: rgb.2)
            let back = CIELab.rgb(lab)
            #expect(abs(back.r - rgb.0) < 1e-6 && abs(back.g - rgb.1) < 1e-6 && abs(back.b - rgb.2) < 1e-6)
        }
        let grey = CIELab.lab(r: 0.4, g: 0.4, b: 0.4)
        #expect(grey.chroma < 1e-3)
        #expect(abs(grey.l / 100 - 0.4) < 0.04, "L*/100 of a grey stretched value is close to it: \(grey.l)")
    }
}
