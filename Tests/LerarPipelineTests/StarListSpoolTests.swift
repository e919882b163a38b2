import Foundation
@testable import LerarRegistration
import Testing
@testable import LerarPipeline

/// The star lists kept between measurement and registration in files: read back bit for bit, or not at all.
@Suite struct StarListSpoolTests {
    @Test func listsComeBackExactly_aDamagedOrMissingOneIsNil_andTheSpoolStartsEmpty() throws {
        let folder = NSTemporaryDirectory() + "lerar-stars-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let stars = (0..<1_000).map { (i: Int) -> DetectedStar in
            let value = Double(i)
            return DetectedStar(x: value * 0.37 + 1e-9, y: 4095.123456789 - value, peak: 0.1 / (value + 1), flux: 12.5 * value,
                                fwhm: 2.2 + value * 0.001, eccentricity: .ulpOfOne * value)
        }
        let spool = StarListSpool(folder: folder)
        spool.store(stars, for: 3)
        spool.store([], for: 4)
        let back = try #require(spool.load(for: 3))
        #expect(back.count == stars.count)
        let fields = { (star: DetectedStar) -> [UInt64] in
            [star.x, star.y, star.peak, star.flux, star.fwhm, star.eccentricity].map(\.bitPattern)
        }
        #expect(back.map(fields) == stars.map(fields))
        #expect(spool.load(for: 4)?.isEmpty == true)
        #expect(spool.load(for: 5) == nil)
        // A file cut short (a full disk, a killed run) is not a star list.
        let path = (folder as NSString).appendingPathComponent("3.stars")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 5).write(to: URL(fileURLWithPath: path))
        #expect(spool.load(for: 3) == nil)
        spool.remove(for: 4)
        #expect(spool.load(for: 4) == nil)
        // A new run's spool does not see the lists of an earlier one.
        spool.store(stars, for: 7)
        #expect(StarListSpool(folder: folder).load(for: 7) == nil)
    }
}
