import Foundation
import LerarCore
import LerarIO

/// Writes `truth/`: transforms, star catalogues, noise-free skies, transmissions, defects and the configuration.
struct TruthWriter {
    let writer: SessionWriter

    func write(to folder: String, overwrite: Bool) throws {
        let plan = writer.plan, renderer = writer.renderer, c = plan.configuration
        let write = { (image: Image, name: String) in
            _ = try ImageFile.write(image, to: folder + "/" + name, options: ImageWriteOptions(sampleFormat: .float32, overwrite: overwrite))
        }
        var panels: [SessionTruth.Panel] = []
        var skies: [String: String] = [:], transmissions: [String: String] = [:]
        for panel in 1...c.panels {
            let origin = plan.panelOrigins[panel - 1]
            let starsFile = "stars_panel\(panel).csv"
            var csv = "id,x,y,rate_L,red,green,blue,b_v\n"
            for (id, star) in renderer.catalogue.stars.enumerated() {
                let x = star.x - origin.x, y = star.y - origin.y
                guard x > -100, y > -100, x < Double(c.width + 100), y < Double(c.height + 100) else { continue }
                csv += String(format: "%d,%.4f,%.4f,%.3f,%.4f,%.4f,%.4f,%.3f\n", id, x, y, star.rate, star.red, star.green, star.blue, star.colorIndex)
            }
            try writeText(csv, to: folder + "/" + starsFile, overwrite: overwrite)
            panels.append(SessionTruth.Panel(panel: panel, object: c.panels > 1 ? "\(c.target) Panel \(panel)" : c.target,
                                     originX: origin.x, originY: origin.y, stars: starsFile))
            for filter in c.effectiveFilters {
                let name = "sky_\(filter.isEmpty ? "RGB" : filter)" + (c.panels > 1 ? "_panel\(panel)" : "") + ".fits"
                try write(renderer.truthSky(filter: filter, panel: panel), name)
                skies[(filter.isEmpty ? "RGB" : filter) + (c.panels > 1 ? "_panel\(panel)" : "")] = name
            }
        }
        for night in 1...max(1, c.nights) {
            for filter in c.effectiveFilters {
                let key = (filter.isEmpty ? "OSC" : filter) + (night > 1 ? "_night\(night)" : "")
                let name = "transmission_\(key).fits"
                let map = renderer.transmission(filter: filter, night: night) ?? []
                try write(Image(width: c.width, height: c.height, samples: map), name)
                transmissions[key] = name
            }
        }
        let lights = plan.frames.compactMap { frame -> SessionTruth.Light? in
            guard let conditions = frame.conditions, let inverse = conditions.referenceToLight.inverted else { return nil }
            return SessionTruth.Light(file: frame.relativePath, filter: frame.filter, panel: frame.panel, exposure: frame.exposure,
                              night: frame.night, lightToReference: inverse, referenceToLight: conditions.referenceToLight, conditions: conditions)
        }
        let sensor = renderer.sensor
        let defects = SessionTruth.Defects(hotPixels: sensor.hotPixels, deadColumn: sensor.deadColumn, coldPixels: sensor.coldPixels,
                              ampGlowCorner: [c.width - 1, 0], ampGlowRate: c.ampGlow, ampGlowRadiusPixels: c.ampGlowRadius * Double(c.width),
                              columnOffsetsADU: sensor.columnOffsets, dustDonuts: renderer.optics.donuts,
                              laterNightDustDonuts: renderer.laterOptics.isEmpty ? nil
                                  : Dictionary(uniqueKeysWithValues: renderer.laterOptics.map { ("\($0.key)", $0.value.donuts) }))
        let session = SessionTruth(configuration: c, biasADU: c.biasADU, panels: panels, lights: lights,
                                   transmission: transmissions, sky: skies)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeText(String(decoding: try encoder.encode(session), as: UTF8.self), to: folder + "/session.json", overwrite: overwrite)
        try writeText(String(decoding: try encoder.encode(defects), as: UTF8.self), to: folder + "/defects.json", overwrite: overwrite)
    }

    func writeText(_ text: String, to path: String, overwrite: Bool) throws {
        try AtomicFileWriter.write(to: path, overwrite: overwrite) { temporary in
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        }
    }
}
