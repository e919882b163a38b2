import Foundation
import Testing
import LerarCore
@testable import LerarDebayer

/// A true RGB scene seen through a Bayer filter: a grey sky, a red and a blue star. Colours of the debayered result
/// are measured against the scene for every pattern, row order, height parity and offset.
struct ColourScene {
    static let width = 64
    static let sky: [Float] = [0.05, 0.05, 0.05]
    /// Stars: centre (x, y in the sensor's top-down rows), total flux per channel, Gaussian σ (px).
    static let stars: [(x: Double, y: Double, flux: [Float])] = [(20.3, 22.6, [6.0, 2.0, 0.8]), (43.7, 40.2, [0.9, 2.2, 5.5])]
    static let sigma = 1.6

    /// The true value of `channel` at sensor pixel (`x`, `y`), the field moved by `shift` px (a dither).
    static func truth(x: Int, y: Int, channel: Int, shift: (Int, Int) = (0, 0)) -> Float {
        var value = sky[channel]
        for star in stars {
            let dx = Double(x - shift.0) - star.x, dy = Double(y - shift.1) - star.y
            value += star.flux[channel] * Float(exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)) / (2 * .pi * sigma * sigma))
        }
        return value
    }

    /// The mosaic as the sensor reads it out (top-down) with `sensorPattern`, stored in the file's row order.
    static func mosaic(height: Int, sensorPattern: CFAPattern, bottomUp: Bool, shift: (Int, Int) = (0, 0)) -> [Float] {
        var samples = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let stored = bottomUp ? height - 1 - y : y
                samples[stored * width + x] = truth(x: x, y: y, channel: sensorPattern.channel(x: x, y: y), shift: shift)
            }
        }
        return samples
    }

    /// Flux of `channel` in a 7 px radius around star `index` above the sky, from an RGB image in top-down rows.
    static func flux(_ image: Image, star index: Int, channel: Int, shift: (Int, Int) = (0, 0)) -> Float {
        let star = stars[index]
        var sum: Float = 0
        for y in 0..<image.height {
            for x in 0..<image.width where hypot(Double(x - shift.0) - star.x, Double(y - shift.1) - star.y) <= 7 {
                sum += image[x, y, channel] - sky[channel]
            }
        }
        return sum
    }

    /// `image` with its rows in the other order.
    static func flipped(_ image: Image) -> Image {
        var out = image
        for channel in 0..<image.channelCount {
            for y in 0..<image.height { for x in 0..<image.width { out[x, y, channel] = image[x, image.height - 1 - y, channel] } }
        }
        return out
    }
}

struct DebayerColourTests {
    static let rowOrders: [String?] = [nil, "TOP-DOWN", "BOTTOM-UP"]

    @Test(arguments: CFAPattern.allCases)
    func aRedStarIsRedForEveryPatternRowOrderAndHeightParity(pattern: CFAPattern) throws {
        for rowOrder in Self.rowOrders {
            for height in [64, 63] {
                let bottomUp = rowOrder == "BOTTOM-UP"
                var metadata = ImageMetadata()
                metadata.setKeyword(.string("BAYERPAT", pattern.rawValue))
                if let rowOrder { metadata.setKeyword(.string("ROWORDER", rowOrder)) }
                // A star of FWHM 3.8 px is sampled by each colour only every 2 px, so one frame's colour depends on
                // where the star falls; four frames dithered by one pixel (as a stack is) average that out.
                let dithers = [(0, 0), (1, 0), (0, 1), (1, 1)]
                let files = dithers.map { shift in
                    Image(width: ColourScene.width, height: height,
                          samples: ColourScene.mosaic(height: height, sensorPattern: pattern, bottomUp: bottomUp, shift: shift), metadata: metadata)
                }
                for method in [DebayerMethod.vng, .bilinear] {
                    var measured = [[Float]](repeating: [0, 0, 0], count: ColourScene.stars.count)
                    var rgb = files[0]
                    for (file, shift) in zip(files, dithers) {
                        rgb = try Debayer.debayer(file, parameters: DebayerParameters(method: method))
                        if bottomUp { rgb = ColourScene.flipped(rgb) }
                        for star in 0..<ColourScene.stars.count {
                            for channel in 0..<3 { measured[star][channel] += ColourScene.flux(rgb, star: star, channel: channel, shift: shift) }
                        }
                    }
                    let context = "\(pattern.rawValue) \(rowOrder ?? "no ROWORDER") height \(height) \(method.rawValue)"
                    for star in 0..<ColourScene.stars.count {
                        let truth = ColourScene.stars[star].flux
                        // Channel ratios to green within 5 % of the truth: a swapped pattern is off by a factor ≥ 2.
                        for channel in [0, 2] {
                            let ratio = (measured[star][channel] / measured[star][1]) / (truth[channel] / truth[1])
                            #expect(abs(ratio - 1) < 0.05, "\(context): star \(star) channel \(channel)/G ratio off by \(ratio)")
                        }
                    }
                    #expect(rgb.metadata.keyword("BAYERPAT") == nil && rgb.metadata.keyword("DEBAYER") != nil)
                }
            }
        }
    }

    @Test func offsetsMoveThePatternOrigin() throws {
        // Data whose first pixel is green-red (GRBG) described as RGGB with XBAYROFF = 1, as a cropped readout is.
        for (xOffset, yOffset, actual) in [(1, 0, CFAPattern.grbg), (0, 1, .gbrg), (1, 1, .bggr), (2, 2, .rggb)] {
            var metadata = ImageMetadata()
            metadata.setKeyword(.string("BAYERPAT", "RGGB"))
            metadata.setKeyword(.integer("XBAYROFF", xOffset))
            metadata.setKeyword(.integer("YBAYROFF", yOffset))
            let file = Image(width: ColourScene.width, height: 64, samples: ColourScene.mosaic(height: 64, sensorPattern: actual, bottomUp: false), metadata: metadata)
            let rgb = try Debayer.debayer(file)
            let red = ColourScene.flux(rgb, star: 0, channel: 0), blue = ColourScene.flux(rgb, star: 0, channel: 2)
            // One undithered frame: the ratio depends on where the star falls (6.9–7.5 measured); a wrong pattern gives < 1.
            #expect(red / blue > 5, "offsets \(xOffset),\(yOffset): R/B \(red / blue), truth 7.5")
        }
    }

    @Test func aGivenPatternReplacesTheHeaders() throws {
        var metadata = ImageMetadata()
        metadata.setKeyword(.string("BAYERPAT", "RGGB"))
        let file = Image(width: ColourScene.width, height: 64, samples: ColourScene.mosaic(height: 64, sensorPattern: .bggr, bottomUp: false), metadata: metadata)
        let wrong = try Debayer.debayer(file), right = try Debayer.debayer(file, parameters: DebayerParameters(pattern: .bggr))
        #expect(ColourScene.flux(wrong, star: 0, channel: 0) < ColourScene.flux(wrong, star: 0, channel: 2))
        #expect(ColourScene.flux(right, star: 0, channel: 0) > 5 * ColourScene.flux(right, star: 0, channel: 2))
    }
}
