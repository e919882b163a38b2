import Foundation
import LerarCore

/// Frame types a capture program writes, with their IMAGETYP spelling (N.I.N.A.'s) and folder.
public enum FrameKind: String, Sendable, Codable, CaseIterable {
    case light = "LIGHT", dark = "DARK", flat = "FLAT", bias = "BIAS", darkFlat = "DARKFLAT"

    public var folder: String {
        switch self {
        case .light: "lights"
        case .dark: "darks"
        case .flat: "flats"
        case .bias: "bias"
        case .darkFlat: "darkflats"
        }
    }
}

/// One frame of the simulated night: what it is, where it goes, and (for lights) its conditions.
public struct PlannedFrame: Sendable {
    public var kind: FrameKind
    /// Filter ("" for darks, bias, dark-flats and OSC frames).
    public var filter: String
    /// Exposure, s.
    public var exposure: Double
    /// Mosaic panel (1-based) for lights.
    public var panel: Int
    /// Observing night (1-based) of lights and flats; 1 for the shared calibration library.
    public var night: Int = 1
    /// Path relative to the session folder.
    public var relativePath: String
    public var dateObs: String
    /// Measured sensor temperature, °C.
    public var sensorTemperature: Double
    public var conditions: SubConditions?
    /// Random stream of this frame.
    public var stream: UInt64
}

/// Decides every frame of a session: counts, names, exposure times, order, dates.
public struct SessionPlan: Sendable {
    public let configuration: SessionConfiguration
    public private(set) var frames: [PlannedFrame] = []
    /// Panel origins in sky px (panel 1 at the origin).
    public let panelOrigins: [(x: Double, y: Double)]

    /// Flat exposure for a filter, s (narrowband needs longer).
    public static func flatExposure(filter: String) -> Double {
        switch filter.uppercased() {
        case "L", "", "OSC": 1
        case "R", "G", "B", "RED", "GREEN", "BLUE": 2
        default: 8
        }
    }

    public init(configuration c: SessionConfiguration) {
        configuration = c
        panelOrigins = (0..<c.panels).map { (x: Double($0) * 0.7 * Double(c.width), y: Double($0) * 0.05 * Double(c.height)) }
        var clock = Date(timeIntervalSince1970: 1_709_323_200) // 2024-03-01T20:00:00Z
        var random = SeededRandom(seed: c.seed, stream: 4)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
        var stream: UInt64 = 1000
        func add(_ kind: FrameKind, filter: String, exposure: Double, count: Int, panel: Int = 1, night: Int = 1, folder: String) {
            for index in 0..<count {
                stream += 1
                let temperature = ((c.setTemperature + 0.1 * random.gaussian()) * 10).rounded() / 10
                let typeName = kind.rawValue + (filter.isEmpty ? "" : "_" + filter)
                let name = String(format: "%@%@_%.2fs_%.1fC_%04d.%@", kind == .light ? c.target + "_" : "", typeName, exposure, c.setTemperature, index + 1, c.format)
                var conditions: SubConditions?
                if kind == .light { conditions = SubConditions.make(index: index, count: count, panel: panel, stream: stream, configuration: c) }
                frames.append(PlannedFrame(kind: kind, filter: filter, exposure: exposure, panel: panel, night: night, relativePath: folder + "/" + name,
                                           dateObs: String(formatter.string(from: clock).dropLast()), sensorTemperature: temperature,
                                           conditions: conditions, stream: stream))
                clock.addTimeInterval(exposure + 3)
            }
        }
        let filters = c.effectiveFilters
        let start = clock
        for night in 1...max(1, c.nights) {
            // Each night starts at 20:00 UTC of its own date; its flats follow its lights (dawn flats).
            clock = start.addingTimeInterval(Double(night - 1) * 86400)
            let nightFolder = c.nights > 1 ? "NIGHT_\(night)/" : ""
            for panel in 1...c.panels {
                let panelFolder = c.panels > 1 ? "/\(c.target)_Panel_\(panel)" : ""
                for filter in filters {
                    add(.light, filter: filter, exposure: c.exposure, count: c.lightsPerFilter, panel: panel, night: night,
                        folder: nightFolder + "lights" + panelFolder + (filter.isEmpty ? "" : "/" + filter))
                }
            }
            for filter in filters {
                add(.flat, filter: filter, exposure: Self.flatExposure(filter: filter), count: c.flatCount, night: night,
                    folder: nightFolder + "flats" + (filter.isEmpty ? "" : "/" + filter))
            }
        }
        for exposure in Set(filters.map(Self.flatExposure)).sorted() {
            add(.darkFlat, filter: "", exposure: exposure, count: c.darkFlatCount, folder: "darkflats")
        }
        add(.dark, filter: "", exposure: c.exposure, count: c.darkCount, folder: "darks")
        if c.secondDarkExposure > 0 && c.secondDarkExposure != c.exposure {
            add(.dark, filter: "", exposure: c.secondDarkExposure, count: c.darkCount, folder: "darks")
        }
        add(.bias, filter: "", exposure: 0, count: c.biasCount, folder: "bias")
    }

    /// Sky bounds the star catalogue must cover: every panel plus dither and rotation margins.
    public var skyBounds: (Double, Double, Double, Double) {
        let margin = configuration.ditherPixels + 120
        let last = panelOrigins.last!
        return (-margin, -margin, last.x + Double(configuration.width) + margin, last.y + Double(configuration.height) + margin)
    }
}
