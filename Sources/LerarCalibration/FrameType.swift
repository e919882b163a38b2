import Foundation

/// What a frame is for. Dark-flats are their own type (WBPP files them under darks and tells them apart only by
/// exposure; we keep them apart so a flat never silently takes a light's dark).
public enum FrameType: String, Sendable, Codable, CaseIterable, Comparable {
    case light, dark, flat, bias, darkFlat

    public static func < (a: FrameType, b: FrameType) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }

    /// Display name ("dark-flat").
    public var label: String { self == .darkFlat ? "dark-flat" : rawValue }

    /// Type and master flag from an IMAGETYP value in any common spelling ("Light Frame", "LIGHT", "Dark Flat",
    /// "FLATDARK", "Offset", "Master Bias", …): case, spaces, '_' and '-' are ignored.
    public static func classify(imageType: String) -> (FrameType, isMaster: Bool)? {
        var text = imageType.lowercased().filter { $0.isLetter }
        var master = false
        if text.hasPrefix("master") { master = true; text.removeFirst(6) }
        if text.hasSuffix("frame") { text.removeLast(5) }
        switch text {
        case "light", "science", "object": return (.light, false) // a master light is a result, not a calibration master
        case "dark", "thermal": return (.dark, master)
        case "bias", "offset", "zero": return (.bias, master)
        case "flat", "flatfield", "skyflat", "domeflat", "twilightflat", "panelflat": return (.flat, master)
        case "darkflat", "flatdark", "flatdarks", "darkflats": return (.darkFlat, master)
        default: return nil
        }
    }

    /// Type from folder and file names: the last path word naming a frame type (`darks/`, `Flats`, `DARKFLAT_1s`…).
    public static func classify(path: String) -> (FrameType, isMaster: Bool)? {
        let words = path.lowercased().split { !$0.isLetter }.map(String.init)
        let master = words.contains { $0.hasPrefix("master") }
        for word in words.reversed() {
            let stem = word.hasPrefix("master") ? String(word.dropFirst(6)) : word
            switch stem {
            case "light", "lights", "science": return (.light, false)
            case "dark", "darks": return (.dark, master)
            case "bias", "biases", "offset", "offsets": return (.bias, master)
            case "flat", "flats", "flatfield", "flatfields": return (.flat, master)
            case "darkflat", "darkflats", "flatdark", "flatdarks": return (.darkFlat, master)
            default: continue
            }
        }
        return nil
    }
}
