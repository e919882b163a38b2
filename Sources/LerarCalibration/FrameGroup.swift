import Foundation

/// Frames that are integrated together (or one existing master): same type and the same values of every
/// property that matters for that type.
public struct FrameGroup: Sendable, Codable, Equatable, Identifiable {
    /// Stable, readable id, also the base of the master's file name (`Dark_BIN-1_GAIN-100_OFFSET-50_EXPTIME-300s`).
    public var id: String
    public var type: FrameType
    public var isMaster: Bool
    public var width: Int, height: Int
    public var binning: String
    public var exposure: Double?
    public var filter: String?
    public var gain: Double?, offset: Double?
    /// Mean sensor temperature of the members, °C.
    public var temperature: Double?
    public var camera: String?
    public var bayerPattern: String?
    public var groupingValues: [String: String]
    public var members: [String]
    /// Observing night of the members (lights and flats when flats are taken per night).
    public var night: String?
    /// Mean DATE-OBS of the members, s since 1970 (for the nearest-in-time choice).
    public var time: Double?
    /// Lights that were already calibrated elsewhere (every member says the same).
    public var calibration: CalibrationHistory?
    /// Members whose type came from the path against their IMAGETYP, with what was said (the first one).
    public var typeConflict: String?
    public var typeConflicts: Int?

    /// One line describing the group, e.g. "dark 300 s · gain 100 · offset 50 · −10 °C · 15 frames".
    public var summary: String {
        var parts = [type.label + (isMaster ? " master" : "")]
        if let filter, type == .light || type == .flat { parts.append(filter) }
        if let exposure, type != .bias { parts.append(LinkFormatting.seconds(exposure)) }
        parts.append("bin \(binning)")
        if let gain { parts.append("gain \(LinkFormatting.number(gain))") }
        if let offset { parts.append("offset \(LinkFormatting.number(offset))") }
        if let temperature { parts.append(String(format: "%.1f °C", temperature)) }
        if let night { parts.append(night.contains("_") ? night : "night \(night)") }
        for (key, value) in groupingValues.sorted(by: { $0.key < $1.key }) { parts.append("\(key) \(value)") }
        if let calibration { parts.append("already calibrated (\(calibration.steps))") }
        parts.append(isMaster ? URL(fileURLWithPath: members.first ?? "").lastPathComponent : "\(members.count) frame\(members.count == 1 ? "" : "s")")
        return parts.joined(separator: " · ")
    }
}

/// Forms groups from catalogued frames.
public enum FrameGrouper {
    /// Groups by type, master flag, geometry, binning, gain, offset, camera, CFA, calibration keyword values, and per
    /// type: filter (lights, flats), exposure (lights, darks, dark-flats), night (lights and flats, when flats are
    /// taken per night), calibration already applied (lights); temperatures cluster within the tolerance.
    public static func group(_ frames: [CatalogedFrame], rules: LinkRules) -> [FrameGroup] {
        var groups: [FrameGroup] = []
        var sums: [Double] = [], counts: [Int] = [], times: [[Double]] = []
        for frame in frames.sorted(by: { ($0.type, $0.path) < ($1.type, $1.path) }) {
            let usesFilter = frame.type == .light || frame.type == .flat
            let usesExposure = frame.type != .bias
            let night = rules.flatsPerNight && usesFilter ? frame.night : nil
            let match = groups.indices.first { index in
                let g = groups[index]
                guard g.type == frame.type, !g.isMaster, !frame.isMaster, g.width == frame.width, g.height == frame.height,
                      g.binning == frame.binning, g.gain == frame.gain, g.offset == frame.offset, g.camera == frame.camera,
                      g.bayerPattern == frame.bayerPattern, g.groupingValues == frame.groupingValues, g.night == night,
                      g.calibration == frame.calibration else { return false }
                if usesFilter && g.filter != frame.filter { return false }
                if usesExposure && !rules.sameExposure(g.exposure, frame.exposure) { return false }
                switch (g.temperature, frame.temperature) {
                case let (a?, b?): return abs(a - b) <= rules.temperatureTolerance
                case (nil, nil): return true
                default: return false
                }
            }
            if let index = match {
                groups[index].members.append(frame.path)
                if let t = frame.temperature {
                    sums[index] += t
                    counts[index] += 1
                    groups[index].temperature = sums[index] / Double(counts[index])
                }
                if let time = frame.time { times[index].append(time) }
                if let conflict = frame.typeConflict {
                    groups[index].typeConflict = groups[index].typeConflict ?? conflict
                    groups[index].typeConflicts = (groups[index].typeConflicts ?? 0) + 1
                }
            } else {
                groups.append(FrameGroup(id: "", type: frame.type, isMaster: frame.isMaster, width: frame.width, height: frame.height,
                                         binning: frame.binning, exposure: usesExposure ? frame.exposure : nil,
                                         filter: usesFilter ? frame.filter : nil, gain: frame.gain, offset: frame.offset,
                                         temperature: frame.temperature, camera: frame.camera, bayerPattern: frame.bayerPattern,
                                         groupingValues: frame.groupingValues, members: [frame.path], night: night,
                                         calibration: frame.calibration, typeConflict: frame.typeConflict,
                                         typeConflicts: frame.typeConflict == nil ? nil : 1))
                sums.append(frame.temperature ?? 0)
                counts.append(frame.temperature == nil ? 0 : 1)
                times.append(frame.time.map { [$0] } ?? [])
            }
        }
        for index in groups.indices where !times[index].isEmpty {
            groups[index].time = times[index].reduce(0, +) / Double(times[index].count)
        }
        return assignIDs(groups)
    }

    /// WBPP-like names: `Light_BIN-1_1024x1024_EXPTIME-300s_FILTER-L_GAIN-100_OFFSET-50_TEMP--10C`, made unique.
    static func assignIDs(_ groups: [FrameGroup]) -> [FrameGroup] {
        var used: [String: Int] = [:]
        return groups.map { group in
            var g = group
            let typeName: String = switch g.type {
            case .light: "Light"
            case .dark: "Dark"
            case .flat: "Flat"
            case .bias: "Bias"
            case .darkFlat: "DarkFlat"
            }
            var parts = [typeName, "BIN-\(g.binning.split(separator: "x").first ?? "1")", "\(g.width)x\(g.height)"]
            if let exposure = g.exposure { parts.append("EXPTIME-\(LinkFormatting.number(exposure))s") }
            if g.type == .light || g.type == .flat { parts.append("FILTER-\(LinkFormatting.safe(g.filter ?? "NoFilter"))") }
            if let gain = g.gain { parts.append("GAIN-\(LinkFormatting.number(gain))") }
            if let offset = g.offset { parts.append("OFFSET-\(LinkFormatting.number(offset))") }
            if let t = g.temperature { parts.append("TEMP-\(LinkFormatting.number((t).rounded()))C") }
            if g.bayerPattern != nil { parts.append("CFA") }
            if let night = g.night { parts.append(night.contains("_") ? LinkFormatting.safe(night) : "NIGHT-\(LinkFormatting.safe(night))") }
            if g.calibration != nil { parts.append("CALIBRATED") }
            for (key, value) in g.groupingValues.sorted(by: { $0.key < $1.key }) { parts.append("\(key)-\(LinkFormatting.safe(value))") }
            if g.isMaster { parts.insert("master", at: 0) }
            let base = parts.joined(separator: "_")
            let count = used[base, default: 0]
            used[base] = count + 1
            g.id = count == 0 ? base : "\(base)_(\(count))"
            return g
        }
    }
}

/// Shared number and name formatting for links, ids and reports.
public enum LinkFormatting {
    /// Shortest decimal form ("300", "0.5", "-10").
    public static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int64(value)) : String(format: "%g", value)
    }

    /// "300 s".
    public static func seconds(_ value: Double) -> String { number(value) + " s" }

    /// Keeps `-().a-zA-Z0-9` and turns the rest into '-', as WBPP sanitises keyword values in names.
    public static func safe(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-().".contains($0)) ? $0 : "-" })
    }
}
