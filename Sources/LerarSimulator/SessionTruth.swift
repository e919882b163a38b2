import Foundation
import LerarCore

/// What `truth/session.json` and `truth/defects.json` hold (schema `lerar.simulation.truth`, version 1).
public struct SessionTruth: Codable, Sendable {
    public struct Light: Codable, Sendable {
        public var file: String, filter: String, panel: Int, exposure: Double
        /// Observing night (1-based); absent in single-night truth written before nights existed.
        public var night: Int?
        /// Maps this light's px to its panel's reference px, and back.
        public var lightToReference: AffineTransform2D, referenceToLight: AffineTransform2D
        public var conditions: SubConditions
    }

    public struct Panel: Codable, Sendable {
        public var panel: Int, object: String
        /// Where the panel's reference frame starts in sky px.
        public var originX: Double, originY: Double
        /// CSV file of the stars in this panel's reference px.
        public var stars: String
    }

    public struct Defects: Codable, Sendable {
        public var hotPixels: [SensorModel.HotPixel]
        public var deadColumn: Int?
        public var coldPixels: [[Int]]
        /// Amp glow sits at the top-right corner (x = width−1, y = 0).
        public var ampGlowCorner: [Int]
        public var ampGlowRate: Double, ampGlowRadiusPixels: Double
        public var columnOffsetsADU: [Float]
        /// Dust of the first night (of the only night for single-night sessions).
        public var dustDonuts: [OpticsModel.DustDonut]
        /// Dust of each later night, by night number ("2", "3", …).
        public var laterNightDustDonuts: [String: [OpticsModel.DustDonut]]?
    }

    public var schema = "lerar.simulation.truth", schemaVersion = 1
    public var configuration: SessionConfiguration
    public var biasADU: Double
    public var coordinates = "pixel centres at integer coordinates; (0,0) is the first stored pixel"
    public var panels: [Panel]
    public var lights: [Light]
    /// File names by filter (truth/transmission_*.fits, truth/sky_*.fits).
    public var transmission: [String: String], sky: [String: String]

    /// Reads `DIR/session.json`, refusing other schemas and newer versions.
    public static func load(folder: String) throws -> SessionTruth {
        let path = folder + "/session.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SimulationError.truth(path: path, reason: "missing (is \(folder) a simulator truth/ folder?)")
        }
        let truth: SessionTruth
        do { truth = try JSONDecoder().decode(SessionTruth.self, from: data) } catch {
            throw SimulationError.truth(path: path, reason: "unreadable: \(error)")
        }
        guard truth.schema == "lerar.simulation.truth", truth.schemaVersion <= 1 else {
            throw SimulationError.truth(path: path, reason: "schema \(truth.schema) v\(truth.schemaVersion) is not supported by this version")
        }
        return truth
    }

    /// Stars of a panel in its reference px: (x, y, L rate in e-/s).
    public func stars(panel: Int, folder: String) throws -> [(x: Double, y: Double, rate: Double)] {
        guard let entry = panels.first(where: { $0.panel == panel }) else { throw SimulationError.truth(path: folder, reason: "no panel \(panel)") }
        let path = folder + "/" + entry.stars
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw SimulationError.truth(path: path, reason: "missing") }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: ",")
            guard fields.count >= 4, let x = Double(fields[1]), let y = Double(fields[2]), let rate = Double(fields[3]) else { return nil }
            return (x, y, rate)
        }
    }
}

/// Errors of the simulator and verifier.
public enum SimulationError: Error, LocalizedError {
    case truth(path: String, reason: String)
    case verification(String)

    public var errorDescription: String? {
        switch self {
        case let .truth(path, reason): "\(path): \(reason)"
        case let .verification(reason): reason
        }
    }
}
