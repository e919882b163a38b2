import Foundation
@testable import LerarSimulator
import Testing

/// The simulated sky's colours: black-body stars by colour index, a green-tinted light pollution, a pink galaxy.
@Suite struct StarColorTests {
    @Test func starColoursFollowTheColourIndex() {
        let blue = StarColor.rgbFractions(colorIndex: 0.1), sun = StarColor.rgbFractions(colorIndex: 0.65), orange = StarColor.rgbFractions(colorIndex: 1.3)
        for f in [blue, sun, orange] { #expect(abs(f.reduce(0, +) - 1) < 1e-12) }
        #expect(blue[2] > sun[2] && sun[2] > orange[2], "blue share falls as B−V rises")
        #expect(blue[0] < sun[0] && sun[0] < orange[0], "red share rises")
        // A Sun-like star (5800 K) is near white through R, G, B: no share beyond 0.28…0.40.
        #expect(abs(StarColor.temperature(colorIndex: 0.65) - 5800) < 300)
        #expect(sun.allSatisfy { (0.28...0.40).contains($0) }, "\(sun)")
    }

    @Test func lightPollutionIsGreenAndTheGalaxyPink() {
        #expect(StarColor.skyRGB[1] > StarColor.skyRGB[0] && StarColor.skyRGB[1] > StarColor.skyRGB[2])
        #expect(StarColor.gradientTintRGB[1] > 1 && abs(StarColor.skyRGB.reduce(0, +) - 1) < 1e-12)
        #expect(StarCatalogue.skyFraction(filter: "G") == StarColor.skyRGB[1] && StarCatalogue.skyFraction(filter: "L") == 1)
        let galaxy = ExtendedObject.rgbFractions
        #expect(galaxy[0] > galaxy[2] && galaxy[2] > galaxy[1], "pink: red, then blue, least green")
    }

    @Test func theCatalogueCarriesTheColourIndex() {
        var c = SessionConfiguration()
        c.width = 256; c.height = 256
        let catalogue = StarCatalogue(bounds: (0, 0, 256, 256), configuration: c)
        #expect(catalogue.stars.allSatisfy { (0.1...1.3).contains($0.colorIndex) })
        for star in catalogue.stars.prefix(20) {
            #expect(abs(StarColor.rgbFractions(colorIndex: star.colorIndex)[0] - star.red) < 1e-12)
        }
    }
}
