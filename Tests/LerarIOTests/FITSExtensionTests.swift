import Foundation
import LerarCore
import Testing
@testable import LerarIO

/// An image in a plain IMAGE extension behind an empty primary HDU reads exactly as the same image in the primary
/// HDU (which cfitsio opens), for every BITPIX, the unsigned offsets, scaled integers and floats, and images of many
/// parallel chunks; 8- and 16-bit samples decoded in Float are the values the former Double loop gave.
@Suite struct FITSExtensionTests {
    /// One FITS image as bytes: `cards` after BITPIX/NAXIS, big-endian `data`; in the primary HDU, or in extension 1
    /// behind a data-less primary.
    static func craft(bitpix: Int, axes: [Int], cards: [String] = [], data: [UInt8], inExtension: Bool) -> [UInt8] {
        func block(_ cards: [String]) -> [UInt8] {
            var header = (cards + ["END"]).map { $0.padding(toLength: 80, withPad: " ", startingAt: 0) }.joined()
            header += String(repeating: " ", count: (2880 - header.utf8.count % 2880) % 2880)
            return Array(header.utf8)
        }
        let geometry = [String(format: "BITPIX  = %20d", bitpix), String(format: "NAXIS   = %20d", axes.count)]
            + axes.enumerated().map { String(format: "NAXIS%-3d= %20d", $0.offset + 1, $0.element) }
        var bytes: [UInt8] = []
        if inExtension {
            bytes = block(["SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    0", "EXTEND  =                    T"])
            bytes += block(["XTENSION= 'IMAGE   '"] + geometry + ["PCOUNT  =                    0", "GCOUNT  =                    1"] + cards)
        } else {
            bytes = block(["SIMPLE  =                    T"] + geometry + cards)
        }
        return bytes + data + [UInt8](repeating: 0, count: (2880 - data.count % 2880) % 2880)
    }

    /// `count` big-endian samples of `bitpix` from `value(i)` (integers truncated to the width; floats by bit pattern).
    static func samples(bitpix: Int, count: Int, _ value: (Int) -> Double) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * abs(bitpix) / 8)
        for i in 0..<count {
            let bits: UInt64 = switch bitpix {
            case -32: UInt64(Float(value(i)).bitPattern)
            case -64: Double(value(i)).bitPattern
            default: UInt64(bitPattern: Int64(value(i)))
            }
            for shift in stride(from: abs(bitpix) - 8, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        }
        return bytes
    }

    struct Case: CustomStringConvertible, Sendable {
        var name: String, bitpix: Int, cards: [String], value: @Sendable (Int) -> Double
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "uint8", bitpix: 8, cards: [], value: { Double($0 * 7 % 256) }),
        Case(name: "int16", bitpix: 16, cards: [], value: { Double($0 * 40_503 % 65536 - 32768) }),
        Case(name: "uint16 (BZERO 32768)", bitpix: 16, cards: ["BZERO   =                32768", "BSCALE  =                    1"],
             value: { Double($0 * 40_503 % 65536 - 32768) }),
        Case(name: "int32", bitpix: 32, cards: [], value: { Double($0 * 2_654_435_761 % 4_294_967_296) - 2_147_483_648 }),
        Case(name: "uint32 (BZERO 2^31)", bitpix: 32, cards: ["BZERO   =           2147483648"],
             value: { Double($0 % 3 == 0 ? $0 * 977 % 8_388_608 : $0 * 2_654_435_761 % 4_294_967_296) - 2_147_483_648 }),
        Case(name: "float32", bitpix: -32, cards: [],
             value: { $0 % 9_973 == 0 ? [.nan, .infinity, -.infinity, -0.0][$0 / 9_973 % 4] : sin(Double($0)) * 1e3 }),
        Case(name: "float64", bitpix: -64, cards: [], value: { $0 % 9_973 == 0 ? .nan : sin(Double($0)) * 1e-3 + 1 / 3 }),
        Case(name: "int16 BSCALE 2 BZERO 100", bitpix: 16, cards: ["BZERO   =                  100", "BSCALE  =                    2"],
             value: { Double($0 * 40_503 % 65536 - 32768) }),
        Case(name: "float32 BSCALE 0.5", bitpix: -32, cards: ["BSCALE  =                  0.5"], value: { $0 % 9_973 == 0 ? .nan : cos(Double($0)) * 1e4 }),
    ]

    static func same(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
    }

    @Test(arguments: cases)
    func anExtensionImageReadsAsThePrimaryOne(example: Case) throws {
        let folder = TemporaryFolder()
        // 1031 × 263 × 3 = 813,939 samples: a dozen parallel chunks and a short last one.
        let axes = [1031, 263, 3], data = Self.samples(bitpix: example.bitpix, count: axes.reduce(1, *), example.value)
        for inExtension in [false, true] {
            writeBytes(Self.craft(bitpix: example.bitpix, axes: axes, cards: example.cards, data: data, inExtension: inExtension),
                       to: folder.file("\(inExtension ? "ext" : "primary").fits"))
        }
        let primary = try FITSReader.read(folder.file("primary.fits")), extended = try FITSReader.read(folder.file("ext.fits"))
        #expect(try FITSReader.open(folder.file("ext.fits")).layout.hdu == 1)
        #expect(extended.width == 1031 && extended.height == 263 && extended.colorSpace == .rgb)
        #expect(Self.same(extended.samples, primary.samples), "\(example): the extension image differs from the primary one")
        #expect(extended.inexactSourceSamples == primary.inexactSourceSamples)
        #expect(extended.sourceSampleFormat == primary.sourceSampleFormat)
    }

    /// Every 8- and 16-bit value: Float division by 255 or 65535 gives the bits of the Double quotient rounded to Float
    /// (the quotient's binary expansion repeats with period 8 or 16, so it never lies within 2⁻⁵³ of a Float tie).
    @Test func everyEightAndSixteenBitValueReadsAsItsDoubleQuotient() throws {
        let folder = TemporaryFolder()
        for (bitpix, cards, count, physical) in [(8, [String](), 256, { (i: Int) in Double(i) }),
                                                 (16, [], 65536, { Double($0 - 32768) }),
                                                 (16, ["BZERO   =                32768"], 65536, { Double($0) })] as [(Int, [String], Int, (Int) -> Double)] {
            let stored = Self.samples(bitpix: bitpix, count: count) { bitpix == 16 ? Double($0 - 32768) : Double($0) }
            writeBytes(Self.craft(bitpix: bitpix, axes: [count, 1], cards: cards, data: stored, inExtension: true), to: folder.file("all.fits"))
            let image = try FITSReader.read(folder.file("all.fits"))
            let divisor: Double = bitpix == 8 ? 255 : 65535
            let expected = (0..<count).map { Float(physical($0) / divisor) }
            #expect(image.samples.map(\.bitPattern) == expected.map(\.bitPattern), "BITPIX \(bitpix) \(cards)")
        }
    }

    @Test func anExtensionCutShortUnderItsReaderIsNamed() throws {
        let folder = TemporaryFolder(), path = folder.file("cut.fits")
        writeBytes(Self.craft(bitpix: 16, axes: [600, 400], data: Self.samples(bitpix: 16, count: 240_000) { Double($0 % 1000) }, inExtension: true), to: path)
        let opened = try FITSReader.open(path)
        // Cut after the structure check passed, as a file truncated by another process while it is read.
        #expect(truncate(path, off_t(opened.layout.dataStart + 1000)) == 0)
        for storage in [opened.storage, .physical] {
            var output = [Float](repeating: 0, count: 240_000)
            #expect {
                _ = try output.withUnsafeMutableBufferPointer { try FITSExtensionReader.read(path: path, layout: opened.layout, storage: storage, into: $0, divisor: 65535) }
            } throws: { error in
                guard case let ImageIOError.truncated(failed, detail) = error else { return false }
                return failed == path && detail.contains("cut short")
            }
        }
    }
}
