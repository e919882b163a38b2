import Foundation
import LerarIO

/// User-forced links (`lerar link --overrides FILE`), e.g. a master dark for one filter or a Local Normalization
/// reference per mosaic panel:
/// ```json
/// {"schemaVersion": 1, "links": [
///   {"lights": {"filter": "L", "object": "M31 Panel 1"}, "dark": "masters/masterDark_300s.xisf",
///    "lnReference": "panel1/reference_master.xisf"}]}
/// ```
/// Paths are relative to the overrides file. A selector field left out matches every light group.
public struct LinkOverrides: Sendable, Codable {
    public struct Selector: Sendable, Codable {
        public var group: String?
        public var filter: String?
        /// Exposure, s.
        public var exposure: Double?
        public var object: String?
        /// Values of --group-by keywords.
        public var values: [String: String]?
    }

    public struct Entry: Sendable, Codable {
        public var lights: Selector
        /// A group id from the plan, or a master file's path.
        public var bias: String?, dark: String?, flat: String?, darkFlat: String?
        /// Local Normalization reference file for these lights.
        public var lnReference: String?
    }

    public var schemaVersion: Int
    public var links: [Entry]
    /// Folder of the overrides file (for relative paths).
    public var baseFolder: String = ""

    enum CodingKeys: String, CodingKey { case schemaVersion, links }

    public static func load(_ path: String) throws -> LinkOverrides {
        guard let data = FileManager.default.contents(atPath: path) else { throw CalibrationError.badOverrides(path: path, reason: "cannot read the file") }
        var overrides: LinkOverrides
        do { overrides = try JSONDecoder().decode(LinkOverrides.self, from: data) } catch {
            throw CalibrationError.badOverrides(path: path, reason: "not a valid overrides document: \(error)")
        }
        guard overrides.schemaVersion == 1 else {
            throw CalibrationError.badOverrides(path: path, reason: "schemaVersion \(overrides.schemaVersion) is not supported (this version reads 1)")
        }
        overrides.baseFolder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return overrides
    }

    /// An absolute path for a path written in the file.
    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (baseFolder as NSString).appendingPathComponent(path)
    }

    func matches(_ selector: Selector, _ group: FrameGroup, object: String?, rules: LinkRules) -> Bool {
        if let id = selector.group, id != group.id { return false }
        if let filter = selector.filter, filter != group.filter { return false }
        if let exposure = selector.exposure, !rules.sameExposure(exposure, group.exposure) { return false }
        if let wanted = selector.object, wanted != (group.groupingValues["OBJECT"] ?? object) { return false }
        for (key, value) in selector.values ?? [:] where group.groupingValues[key.uppercased()] != value { return false }
        return true
    }
}
