import Foundation
@testable import LerarRegistration
import Testing
@testable import LerarPipeline

/// The star lists kept between measurement and registration in files: read back bit for bit, or not at all.
@Suite struct StarListSpoolTests {
    @Test func listsComeBackExactly_aDamagedOrMissingOneIsNil_andTheKeySaysWhichDetectionFoundThem() throws {
        let folder = NSTemporaryDirectory() + "lerar-stars-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let stars = (0..<1_000).map { (i: Int) -> DetectedStar in
            let value = Double(i)
            return DetectedStar(x: value * 0.37 + 1e-9, y: 4095.123456789 - value, peak: 0.1 / (value + 1), flux: 12.5 * value,
                                fwhm: 2.2 + value * 0.001, eccentricity: .ulpOfOne * value)
        }
        let spool = StarListSpool(folder: folder)
        var parameters = Registrar.Parameters()
        let three = StarListSpool.key(measureKey: "m3", parameters: parameters), four = StarListSpool.key(measureKey: "m4", parameters: parameters)
        spool.store(stars, for: three)
        spool.store([], for: four)
        let back = try #require(spool.load(for: three))
        #expect(back.count == stars.count)
        let fields = { (star: DetectedStar) -> [UInt64] in
            [star.x, star.y, star.peak, star.flux, star.fwhm, star.eccentricity].map(\.bitPattern)
        }
        #expect(back.map(fields) == stars.map(fields))
        #expect(spool.load(for: four)?.isEmpty == true)
        #expect(spool.load(for: StarListSpool.key(measureKey: "m5", parameters: parameters)) == nil)
        // Another detection threshold is another list.
        parameters.detectionSigma = 7
        #expect(spool.load(for: StarListSpool.key(measureKey: "m3", parameters: parameters)) == nil)
        // A file cut short (a full disk, a killed run) is not a star list.
        let path = (folder as NSString).appendingPathComponent(three + ".stars")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 5).write(to: URL(fileURLWithPath: path))
        #expect(spool.load(for: three) == nil)
        spool.remove(for: four)
        #expect(spool.load(for: four) == nil)
        // Another process (a cluster step) reads what this one stored; the end of a run removes them all.
        spool.store(stars, for: four)
        #expect(StarListSpool(folder: folder).load(for: four)?.count == stars.count)
        spool.removeAll()
        #expect(!FileManager.default.fileExists(atPath: folder))
    }
}
