import Foundation
import LerarCore
import LerarIO

/// The linking decision for a session: catalogue, groups, links and what was skipped. Written by `lerar link --json`
/// (schema `lerar.link`, version 1) and read by the later stages.
public struct LinkPlan: Sendable, Codable {
    public struct FlatCalibration: Sendable, Codable, Equatable {
        public var flatGroup: String
        public var calibration: LinkDecision
    }

    public var schema = "lerar.link"
    public var schemaVersion = 1
    public var rules: LinkRules
    public var frames: [CatalogedFrame]
    public var skipped: [SkippedFile]
    public var groups: [FrameGroup]
    public var lights: [LightGroupLinks]
    /// How every flat group is calibrated (also flats no light uses).
    public var flats: [FlatCalibration]
    /// Every light group has all its links (warnings allowed).
    public var fullyLinked: Bool
    /// Notes on the plan as a whole (no lights found, unused calibration groups, …).
    public var notes: [String]
    /// Caveats the user should read (frames typed against their IMAGETYP, …); shown with ⚠.
    public var warnings: [String]?

    /// The group with this id.
    public func group(_ id: String?) -> FrameGroup? { id.flatMap { id in groups.first { $0.id == id } } }

    /// Catalogues `roots`, groups, links, and applies `overrides`.
    public static func make(roots: [String], rules: LinkRules, overrides: LinkOverrides? = nil,
                            progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> LinkPlan {
        _ = try rules.keywords()
        let catalog = try FrameCatalog.scan(roots, rules: rules, progress: progress)
        return try make(catalog: catalog, rules: rules, overrides: overrides)
    }

    public static func make(catalog: FrameCatalog, rules: LinkRules, overrides: LinkOverrides? = nil) throws -> LinkPlan {
        var frames = catalog.frames
        var groups = FrameGrouper.group(frames, rules: rules)
        // Masters named only in the overrides file join the catalogue as groups of their own.
        for entry in overrides?.links ?? [] {
            for (role, path) in [(FrameType.bias, entry.bias), (.dark, entry.dark), (.flat, entry.flat), (.darkFlat, entry.darkFlat)] {
                guard let path, !groups.contains(where: { $0.id == path }) else { continue }
                let resolved = overrides!.resolve(path)
                guard !frames.contains(where: { $0.path == resolved }) else { continue }
                let header: ImageFileHeader
                do { header = try ImageFile.readHeader(resolved) } catch {
                    throw CalibrationError.badOverrides(path: resolved, reason: "forced \(role.label) cannot be read: \((error as? LocalizedError)?.errorDescription ?? "\(error)")")
                }
                guard case var .success(frame) = CatalogedFrame.make(header: header, rules: rules) else {
                    throw CalibrationError.badOverrides(path: resolved, reason: "forced \(role.label) has no frame type")
                }
                frame.isMaster = true
                frame.typeSource = "override"
                frames.append(frame)
            }
        }
        if frames.count != catalog.frames.count { groups = FrameGrouper.group(frames, rules: rules) }
        let linker = CalibrationLinker(groups: groups, rules: rules)
        var lights = linker.linkLights()
        if let overrides { try apply(overrides, to: &lights, groups: groups, frames: frames, linker: linker) }
        let flats = groups.filter { $0.type == .flat }.map { FlatCalibration(flatGroup: $0.id, calibration: linker.calibration(forFlat: $0)) }
        var notes: [String] = []
        if lights.isEmpty { notes.append("no light frames found") }
        let used = Set(lights.flatMap { $0.decisions.compactMap(\.group) })
        for group in groups where group.type != .light && !used.contains(group.id) {
            notes.append("unused: \(group.id) (\(group.members.count) frame\(group.members.count == 1 ? "" : "s")) calibrates no light group")
        }
        var warnings: [String] = []
        for group in groups where group.typeConflict != nil {
            warnings.append("\(group.typeConflicts ?? 1) of \(group.members.count) frames of \(group.id): \(group.typeConflict!)")
        }
        for group in groups where group.type == .light {
            if let calibration = group.calibration {
                notes.append("\(group.id): already calibrated (\(calibration.steps), from \(calibration.evidence)): those steps are not repeated")
            }
        }
        return LinkPlan(rules: rules, frames: frames, skipped: catalog.skipped, groups: groups, lights: lights, flats: flats,
                        fullyLinked: !lights.isEmpty && lights.allSatisfy(\.fullyLinked), notes: notes,
                        warnings: warnings.isEmpty ? nil : warnings)
    }

    static func apply(_ overrides: LinkOverrides, to lights: inout [LightGroupLinks], groups: [FrameGroup], frames: [CatalogedFrame],
                      linker: CalibrationLinker) throws {
        func groupFor(_ reference: String) -> FrameGroup? {
            if let byID = groups.first(where: { $0.id == reference }) { return byID }
            let path = overrides.resolve(reference)
            return groups.first { $0.members.contains(path) }
        }
        for (number, entry) in overrides.links.enumerated() {
            let targets = lights.indices.filter { index in
                let group = groups.first { $0.id == lights[index].lightGroup }!
                let object = frames.first { $0.path == group.members.first }?.object
                return overrides.matches(entry.lights, group, object: object, rules: linker.rules)
            }
            guard !targets.isEmpty else {
                throw CalibrationError.badOverrides(path: overrides.baseFolder, reason: "link #\(number + 1) matches no light group")
            }
            for index in targets {
                let light = groups.first { $0.id == lights[index].lightGroup }!
                for (role, reference) in [(LinkDecision.Role.bias, entry.bias), (.dark, entry.dark), (.flat, entry.flat)] {
                    guard let reference else { continue }
                    guard let master = groupFor(reference) else {
                        throw CalibrationError.badOverrides(path: overrides.baseFolder, reason: "link #\(number + 1): \(reference) is neither a group nor a file")
                    }
                    let decision = forced(master, as: role, for: light, rules: linker.rules)
                    switch role {
                    case .bias: lights[index].bias = decision
                    case .dark: lights[index].dark = decision
                    case .flat:
                        lights[index].flat = decision
                        lights[index].flatCalibration = linker.calibration(forFlat: master)
                    case .darkFlat: break
                    }
                }
                if let reference = entry.darkFlat, let flatID = lights[index].flat.group, let flat = groups.first(where: { $0.id == flatID }) {
                    guard let master = groupFor(reference) else {
                        throw CalibrationError.badOverrides(path: overrides.baseFolder, reason: "link #\(number + 1): \(reference) is neither a group nor a file")
                    }
                    lights[index].flatCalibration = forced(master, as: .darkFlat, for: flat, rules: linker.rules)
                }
                if let reference = entry.lnReference {
                    let path = overrides.resolve(reference)
                    guard FileManager.default.fileExists(atPath: path) else {
                        throw CalibrationError.badOverrides(path: path, reason: "Local Normalization reference of link #\(number + 1) does not exist")
                    }
                    lights[index].lnReference = path
                }
            }
        }
    }

    /// A forced link: used as the user says; every hard rule it breaks is listed and makes it a warning.
    static func forced(_ master: FrameGroup, as role: LinkDecision.Role, for target: FrameGroup, rules: LinkRules) -> LinkDecision {
        var violations = LinkRequirements.violations(of: master, as: role, for: target, rules: rules)
        var scale: Double?
        if role == .dark, let a = master.exposure, let b = target.exposure, !rules.sameExposure(a, b) {
            violations.append("exposure \(LinkFormatting.seconds(a)), light is \(LinkFormatting.seconds(b))")
            scale = b / a
        }
        let typeMismatch = (role == .flat && master.type != .flat) || (role == .bias && master.type != .bias)
            || (role == .dark && master.type != .dark) || (role == .darkFlat && ![.darkFlat, .dark, .bias].contains(master.type))
        if typeMismatch { violations.insert("it is a \(master.type.label), not a \(role.label)", at: 0) }
        let reason = violations.isEmpty ? "forced by overrides: \(master.summary)" : "forced by overrides, breaking: \(violations.joined(separator: "; "))"
        return LinkDecision(role: role, status: violations.isEmpty ? .ok : .warning, group: master.id, reason: reason, darkScale: scale,
                            forced: true, violations: violations)
    }
}
