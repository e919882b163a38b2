import Foundation
import Testing
import LerarCore
@testable import LerarDebayer

struct DebayerMethodTests {
    static func mosaic(_ pattern: CFAPattern = .rggb, width: Int = 64, height: Int = 64, _ value: (Int, Int, Int) -> Float) -> Image {
        var metadata = ImageMetadata()
        metadata.setKeyword(.string("BAYERPAT", pattern.rawValue))
        var samples = [Float](repeating: 0, count: width * height)
        for y in 0..<height { for x in 0..<width { samples[y * width + x] = value(x, y, pattern.channel(x: x, y: y)) } }
        return Image(width: width, height: height, samples: samples, metadata: metadata)
    }

    @Test(arguments: DebayerMethod.allCases)
    func aUniformColourFieldIsReproducedExactly(method: DebayerMethod) throws {
        let colour: [Float] = [0.3, 0.5, 0.2]
        let rgb = try Debayer.debayer(Self.mosaic { _, _, c in colour[c] }, parameters: DebayerParameters(method: method))
        #expect(rgb.channelCount == 3)
        #expect(rgb.width == (method == .superpixel ? 32 : 64) && rgb.height == (method == .superpixel ? 32 : 64))
        for channel in 0..<3 { rgb.withChannel(channel) { plane in #expect(plane.allSatisfy { abs($0 - colour[channel]) < 1e-6 }) } }
    }

    /// A sharp vertical edge between two grey levels: an interpolator that averages across it invents colour.
    @Test func vngMakesLessFalseColourThanBilinearOnAnEdge() throws {
        let edge = Self.mosaic { x, y, _ in Float(x + y / 3 < 40 ? 0.1 : 0.8) }
        func falseColour(_ method: DebayerMethod) throws -> Double {
            let rgb = try Debayer.debayer(edge, parameters: DebayerParameters(method: method))
            var sum = 0.0
            for y in 4..<60 { for x in 4..<60 { sum += Double(abs(rgb[x, y, 0] - rgb[x, y, 1]) + abs(rgb[x, y, 2] - rgb[x, y, 1])) } }
            return sum
        }
        let vng = try falseColour(.vng), bilinear = try falseColour(.bilinear)
        // Measured: VNG 29.9, bilinear 45.9 (sum of |R−G| + |B−G| over the 56×56 centre).
        #expect(vng < 0.75 * bilinear, "false colour: VNG \(vng), bilinear \(bilinear)")
    }

    @Test func aMissingSampleIsInterpolatedAndNoDataStaysLocal() throws {
        var image = Self.mosaic { _, _, c in [0.3, 0.5, 0.2][c] }
        image[30, 30] = .nan // one dead red pixel
        for y in 10..<16 { for x in 10..<16 { image[x, y] = .nan } } // a 6×6 hole
        for method in [DebayerMethod.vng, .bilinear] {
            let rgb = try Debayer.debayer(image, parameters: DebayerParameters(method: method))
            #expect(abs(rgb[30, 30, 0] - 0.3) < 1e-6, "\(method): the dead pixel's own colour from its neighbours")
            var noData = 0
            for y in 0..<64 { for x in 0..<64 where !rgb[x, y, 0].isFinite || !rgb[x, y, 1].isFinite || !rgb[x, y, 2].isFinite {
                noData += 1
                #expect((10..<16).contains(x) && (10..<16).contains(y), "\(method): no data outside the hole at \(x),\(y)")
            } }
            #expect(noData <= 16, "\(method): the hole's edge pixels are interpolated from outside it (\(noData) px without data)")
            for y in 0..<64 { for x in 0..<64 where !(9..<17).contains(x) || !(9..<17).contains(y) {
                #expect(abs(rgb[x, y, 1] - 0.5) < 1e-6)
            } }
        }
    }

    @Test func superPixelKeepsTheSamplesOfEachCell() throws {
        let image = Self.mosaic(.gbrg, width: 9, height: 7) { x, y, _ in Float(y * 9 + x) }
        let rgb = try Debayer.debayer(image, parameters: DebayerParameters(method: .superpixel))
        #expect(rgb.width == 4 && rgb.height == 3)
        // GBRG: (0,0) G, (1,0) B, (0,1) R, (1,1) G of each cell.
        for y in 0..<3 { for x in 0..<4 {
            let base = Float(2 * y * 9 + 2 * x)
            #expect(rgb[x, y, 0] == base + 9 && rgb[x, y, 2] == base + 1 && rgb[x, y, 1] == (2 * base + 10) / 2)
        } }
    }

    @Test func whatCannotBeDebayeredIsRefusedWithTheReason() throws {
        let plain = Image(width: 8, height: 8)
        #expect(throws: DebayerError.noPattern) { try Debayer.debayer(plain) }
        var xtrans = plain
        xtrans.metadata.setKeyword(.string("BAYERPAT", "GGRGGBGGBGGRBRGRBGGGBGGRGGRGGBRBGBRG"))
        #expect(throws: DebayerError.xTrans("GGRGGBGGBGGRBRGRBGGGBGGRGGRGGBRBGBRG")) { try Debayer.debayer(xtrans) }
        var odd = plain
        odd.metadata.setKeyword(.string("BAYERPAT", "RGBG"))
        #expect(throws: DebayerError.unknownPattern("RGBG")) { try Debayer.debayer(odd) }
        odd.metadata.setKeyword(.string("BAYERPAT", "RGGB"))
        odd.metadata.setKeyword(.string("XBAYROFF", "one"))
        #expect(throws: DebayerError.badOffset(keyword: "XBAYROFF", value: "'one'")) { try Debayer.debayer(odd) }
        let colour = Image(width: 8, height: 8, colorSpace: .rgb)
        #expect(throws: DebayerError.notMosaic(channels: 3)) { try Debayer.debayer(colour, parameters: DebayerParameters(pattern: .rggb)) }
        var none = plain
        none.metadata.setKeyword(.string("BAYERPAT", "NONE"))
        #expect(none.metadata.acquisition.bayerPattern == nil, "BAYERPAT = 'NONE' is a mono frame")
        #expect(throws: DebayerError.tooSmall(width: 1, height: 8)) { try Debayer.debayer(Image(width: 1, height: 8), parameters: DebayerParameters(pattern: .rggb)) }
    }
}
