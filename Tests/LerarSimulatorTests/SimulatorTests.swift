import Foundation
import LerarCore
import LerarIO
import Testing
@testable import LerarSimulator

final class SessionFolder: Sendable {
    let path = NSTemporaryDirectory() + "lerar-sim-" + UUID().uuidString
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}

/// A small session that tests can afford to write: 256×256, few frames.
func smallConfiguration(seed: UInt64 = 7) -> SessionConfiguration {
    var c = SessionConfiguration()
    c.width = 256
    c.height = 256
    c.lightsPerFilter = 4
    c.filters = ["L", "R"]
    c.biasCount = 3
    c.darkCount = 2
    c.flatCount = 2
    c.darkFlatCount = 2
    c.seed = seed
    return c
}

func adu(_ path: String) throws -> [Double] {
    try ImageFile.read(path).samples.map { (Double($0) * 65535).rounded() }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

@Suite struct SimulatorSessionTests {
    @Test func framesHeadersAndNamesAreAsRequested() throws {
        let folder = SessionFolder()
        var c = smallConfiguration()
        c.format = "xisf"
        let summary = try SessionWriter(configuration: c).write(to: folder.path)
        #expect(summary.counts == ["LIGHT": 8, "FLAT": 4, "DARKFLAT": 4, "DARK": 4, "BIAS": 3])
        let lights = summary.files.filter { $0.hasPrefix("lights/") }
        #expect(lights.filter { $0.hasPrefix("lights/L/") }.count == 4 && lights.filter { $0.hasPrefix("lights/R/") }.count == 4)
        #expect(lights.contains("lights/L/M31_LIGHT_L_300.00s_-10.0C_0001.xisf"))
        #expect(summary.files.contains("flats/R/FLAT_R_2.00s_-10.0C_0002.xisf"))
        #expect(summary.files.contains("darkflats/DARKFLAT_1.00s_-10.0C_0001.xisf") && summary.files.contains("darkflats/DARKFLAT_2.00s_-10.0C_0001.xisf"))
        #expect(summary.files.contains("darks/DARK_600.00s_-10.0C_0002.xisf") && summary.files.contains("bias/BIAS_0.00s_-10.0C_0003.xisf"))
        for file in summary.files { #expect(FileManager.default.fileExists(atPath: folder.file(file)), "\(file)") }

        let light = try ImageFile.readHeader(folder.file("lights/R/M31_LIGHT_R_300.00s_-10.0C_0003.xisf"))
        #expect(light.sampleFormat == .uint16 && light.width == 256)
        let info = light.metadata.acquisition
        #expect(info.imageType == "LIGHT" && info.exposure == 300 && info.filter == "R" && info.binningX == 1 && info.binningY == 1)
        #expect(info.gain == 100 && info.offset == 50 && info.temperature == -10 && info.camera == "ZWO ASI2600MM Pro" && info.object == "M31")
        #expect(light.metadata.keyword("CCD-TEMP")?.doubleValue.map { abs($0 + 10) < 0.6 } == true)
        #expect(light.metadata.keyword("DATE-OBS")?.stringValue.hasPrefix("2024-03-0") == true)
        let dark = try ImageFile.readHeader(folder.file("darks/DARK_300.00s_-10.0C_0001.xisf")).metadata.acquisition
        #expect(dark.imageType == "DARK" && dark.filter == nil && dark.exposure == 300)
        #expect(try ImageFile.readHeader(folder.file("darkflats/DARKFLAT_2.00s_-10.0C_0001.xisf")).metadata.acquisition.imageType == "DARKFLAT")
        #expect(try ImageFile.readHeader(folder.file("bias/BIAS_0.00s_-10.0C_0001.xisf")).metadata.acquisition.exposure == 0)
        for truth in ["session.json", "defects.json", "stars_panel1.csv", "sky_L.fits", "sky_R.fits", "transmission_L.fits", "transmission_R.fits"] {
            #expect(FileManager.default.fileExists(atPath: folder.file("truth/" + truth)), "\(truth)")
        }
    }

    @Test func aSeedAlwaysGivesTheSameFiles() throws {
        let a = SessionFolder(), b = SessionFolder(), other = SessionFolder()
        var c = smallConfiguration()
        c.filters = ["L"]
        _ = try SessionWriter(configuration: c).write(to: a.path)
        _ = try SessionWriter(configuration: c).write(to: b.path)
        c.seed = 8
        _ = try SessionWriter(configuration: c).write(to: other.path)
        let name = "lights/L/M31_LIGHT_L_300.00s_-10.0C_0002.fits"
        #expect(try adu(a.file(name)) == adu(b.file(name)))
        #expect(try adu(a.file(name)) != adu(other.file(name)))
    }

    @Test func oneShotColorAndMosaicSessions() throws {
        let folder = SessionFolder()
        var c = smallConfiguration()
        c.oneShotColor = true
        c.panels = 2
        let summary = try SessionWriter(configuration: c).write(to: folder.path)
        #expect(summary.counts["LIGHT"] == 8 && summary.counts["FLAT"] == 2)
        let first = try ImageFile.readHeader(folder.file("lights/M31_Panel_1/M31_LIGHT_300.00s_-10.0C_0001.fits")).metadata
        let second = try ImageFile.readHeader(folder.file("lights/M31_Panel_2/M31_LIGHT_300.00s_-10.0C_0001.fits")).metadata
        #expect(first.acquisition.object == "M31 Panel 1" && second.acquisition.object == "M31 Panel 2")
        #expect(first.keyword("PANEL")?.intValue == 1 && second.keyword("PANEL")?.intValue == 2)
        let sky1 = median(try adu(folder.file("lights/M31_Panel_1/M31_LIGHT_300.00s_-10.0C_0001.fits"))) - 500
        let sky2 = median(try adu(folder.file("lights/M31_Panel_2/M31_LIGHT_300.00s_-10.0C_0001.fits"))) - 500
        #expect(sky2 / sky1 > 1.15, "panels should have different sky backgrounds: \(sky1) vs \(sky2)")
        #expect(first.acquisition.bayerPattern == "RGGB" && first.keyword("ROWORDER")?.stringValue == "TOP-DOWN" && first.acquisition.filter == nil)
        // A white flat through an RGGB mosaic: red and blue sites respond less than green ones (0.8 and 0.65).
        let flat = try adu(folder.file("flats/FLAT_1.00s_-10.0C_0001.fits"))
        var sums = [0.0, 0.0, 0.0], counts = [0.0, 0.0, 0.0]
        for y in 100..<156 { for x in 100..<156 { let ch = FrameRenderer.bayerChannel(x: x, y: y); sums[ch] += flat[y * 256 + x] - 500; counts[ch] += 1 } }
        let means = zip(sums, counts).map { $0 / $1 }
        #expect(abs(means[0] / means[1] - 0.8) < 0.02 && abs(means[2] / means[1] - 0.65) < 0.02)
        #expect(FileManager.default.fileExists(atPath: folder.file("truth/sky_RGB_panel1.fits")) && FileManager.default.fileExists(atPath: folder.file("truth/stars_panel2.csv")))
    }
}
