import Foundation

/// Decides which master calibrates which group. Strict by default (see `LinkRules`); every missing link carries
/// its reason and the nearest candidate that was rejected.
public struct CalibrationLinker: Sendable {
    public let groups: [FrameGroup]
    public let rules: LinkRules

    public init(groups: [FrameGroup], rules: LinkRules) {
        self.groups = groups
        self.rules = rules
    }

    func candidates(_ types: [FrameType]) -> [FrameGroup] {
        groups.filter { types.contains($0.type) }.sorted { ($0.isMaster ? 0 : 1, $0.id) < ($1.isMaster ? 0 : 1, $1.id) }
    }

    /// Links for every light group.
    public func linkLights() -> [LightGroupLinks] {
        groups.filter { $0.type == .light }.map(link(light:))
    }

    public func link(light: FrameGroup) -> LightGroupLinks {
        let applied = Set(light.calibration?.appliedRoles ?? [])
        func done(_ role: LinkDecision.Role) -> LinkDecision {
            LinkDecision(role: role, status: .notNeeded, reason: "already applied: \(light.calibration?.evidence ?? "")")
        }
        let bias = applied.contains(.bias) ? done(.bias) : withFrameCount(findBias(for: light))
        let dark = applied.contains(.dark) ? done(.dark) : withFrameCount(findDark(for: light, bias: bias))
        let flat = applied.contains(.flat) ? done(.flat) : withFrameCount(findFlat(for: light))
        if applied.contains(.dark) || applied.contains(.bias) {
            // A light already dark- or bias-subtracted needs no bias of its own.
            let flatGroup = flat.group.flatMap { id in groups.first { $0.id == id } }
            return LightGroupLinks(lightGroup: light.id, bias: applied.contains(.bias) ? bias : LinkDecision(role: .bias, status: .notNeeded, reason: "not needed: the lights are already dark-subtracted"),
                                   dark: dark, flat: flat, flatCalibration: flatGroup.map { withFrameCount(calibration(forFlat: $0)) })
        }
        var biasDecision = bias
        if dark.status != .missing && dark.darkScale == nil && !rules.wbppCompatible {
            biasDecision = LinkDecision(role: .bias, status: .notNeeded, group: bias.group,
                                        reason: "not needed: the master dark of the light's exposure contains the bias")
        } else if dark.status == .missing && bias.status == .missing {
            biasDecision.reason += " (only needed to scale a dark)"
        }
        let flatGroup = flat.group.flatMap { id in groups.first { $0.id == id } }
        return LightGroupLinks(lightGroup: light.id, bias: biasDecision, dark: dark, flat: flat,
                               flatCalibration: flatGroup.map { withFrameCount(calibration(forFlat: $0)) })
    }

    /// |a − b| when both are known.
    static func distance(_ a: Double?, _ b: Double?) -> Double? {
        guard let a, let b else { return nil }
        return abs(a - b)
    }

    /// A decision linking a group of fewer than `rules.minimumFrames` frames, or one with frames typed against their
    /// IMAGETYP, becomes a warning saying so.
    func withFrameCount(_ decision: LinkDecision) -> LinkDecision {
        guard decision.status == .ok || decision.status == .warning, let id = decision.group,
              let group = groups.first(where: { $0.id == id }), !group.isMaster else { return decision }
        var warned = decision
        if let conflicts = group.typeConflicts {
            warned.status = .warning
            warned.reason += " — \(conflicts) of its frames were typed by \(rules.typeFrom == .path ? "their path" : "IMAGETYP") against \(rules.typeFrom == .path ? "IMAGETYP" : "their path")"
        }
        guard group.members.count < rules.minimumFrames else { return warned }
        warned.status = .warning
        let noise = (sqrt(1 + 1 / Double(group.members.count)) - 1) * 100
        warned.reason += " — only \(group.members.count) frame\(group.members.count == 1 ? "" : "s") (fewer than \(rules.minimumFrames)): outliers cannot be rejected and the master adds about \(Int(noise.rounded())) % to each calibrated frame's noise"
        return warned
    }

    /// Among groups that all fit `target`, the best: more shared grouping keywords, then for flats (`byNight`) the same
    /// night and the nearest in time, for darks and bias the nearest temperature and then time; with a note on why
    /// when there was a choice.
    func best(_ fitting: [FrameGroup], for target: FrameGroup, byNight: Bool = false) -> (FrameGroup, String?)? {
        func key(_ group: FrameGroup) -> (Int, Int, Double, Double) {
            let sameNight = byNight && group.night != nil && group.night == target.night ? 0 : 1
            let temperature = Self.distance(group.temperature, target.temperature) ?? .infinity
            let time = Self.distance(group.time, target.time) ?? .infinity
            // A flat's temperature hardly matters; its time tells whether the optics were the same.
            return byNight ? (-shared(group, target), sameNight, time, temperature) : (-shared(group, target), sameNight, temperature, time)
        }
        let ranked = fitting.sorted { a, b in
            let (ka, kb) = (key(a), key(b))
            return (ka.0, ka.1, ka.2, ka.3, a.isMaster ? 0 : 1, a.id) < (kb.0, kb.1, kb.2, kb.3, b.isMaster ? 0 : 1, b.id)
        }
        guard let chosen = ranked.first else { return nil }
        guard ranked.count > 1 else { return (chosen, nil) }
        let others = ranked.dropFirst().map { $0.summary }.joined(separator: "; ")
        var why: [String] = []
        if byNight, chosen.night != nil, chosen.night == target.night { why.append("same night") }
        if !byNight, let a = chosen.temperature, let b = target.temperature, ranked.dropFirst().contains(where: { $0.temperature != nil && abs($0.temperature! - b) > abs(a - b) }) {
            why.append(String(format: "nearest in temperature (%.1f °C, %@ %.1f °C)", a, target.type.label, b))
        }
        if why.isEmpty, let a = chosen.time, let b = target.time { why.append(String(format: "nearest in time (%.1f h apart)", abs(a - b) / 3600)) }
        return (chosen, "chosen as \(why.isEmpty ? "first of equals" : why.joined(separator: ", ")) among \(ranked.count); also fit: \(others)")
    }

    /// How a flat group is calibrated: its dark-flat, else the bias (warned), else a dark of its exposure.
    public func calibration(forFlat flat: FrameGroup) -> LinkDecision {
        if flat.isMaster { return LinkDecision(role: .darkFlat, status: .notNeeded, reason: "master flat: already calibrated") }
        let darkFlats = candidates([.darkFlat]).filter { LinkRequirements.violations(of: $0, as: .darkFlat, for: flat, rules: rules).isEmpty }
        if let match = darkFlats.first {
            return LinkDecision(role: .darkFlat, status: .ok, group: match.id, reason: "dark-flat of the flat's exposure: \(match.summary)")
        }
        let bias = findBias(for: flat)
        if rules.wbppCompatible {
            // WBPP: with a bias, only darks within 0.5 s of the flat; without one, the closest dark of any exposure.
            let darks = candidates([.dark, .darkFlat]).filter { LinkRequirements.violations(of: $0, as: .dark, for: flat, rules: rules).isEmpty }
            let usable = bias.status == .ok ? darks.filter { abs(($0.exposure ?? 0) - (flat.exposure ?? 0)) <= 0.5 } : darks
            if let closest = usable.min(by: { abs(($0.exposure ?? 0) - (flat.exposure ?? 0)) < abs(($1.exposure ?? 0) - (flat.exposure ?? 0)) }) {
                return LinkDecision(role: .darkFlat, status: .ok, group: closest.id, reason: "closest dark (WBPP rule): \(closest.summary)")
            }
        }
        if bias.status == .ok, let group = bias.group {
            return LinkDecision(role: .darkFlat, status: .warning, group: group,
                                reason: "no dark-flats for \(flat.exposure.map(LinkFormatting.seconds) ?? "this exposure"): flat calibrated with the master bias (dark current of the flat not removed)")
        }
        let darks = candidates([.dark]).filter { dark in
            LinkRequirements.violations(of: dark, as: .dark, for: flat, rules: rules).isEmpty && rules.sameExposure(dark.exposure, flat.exposure)
        }
        if let match = darks.first {
            return LinkDecision(role: .darkFlat, status: .ok, group: match.id, reason: "dark of the flat's exposure used as dark-flat: \(match.summary)")
        }
        let (nearest, why) = nearest(candidates([.darkFlat, .bias, .dark]), as: .darkFlat, for: flat)
        return LinkDecision(role: .darkFlat, status: .missing, reason: "flat cannot be calibrated: no dark-flat, bias or dark of \(flat.exposure.map(LinkFormatting.seconds) ?? "its exposure") fits",
                            nearestCandidate: nearest, nearestCandidateRejection: why)
    }

    func findBias(for target: FrameGroup) -> LinkDecision {
        let all = candidates([.bias])
        if let (match, note) = best(all.filter { LinkRequirements.violations(of: $0, as: .bias, for: target, rules: rules).isEmpty }, for: target) {
            return LinkDecision(role: .bias, status: .ok, group: match.id, reason: match.summary + (note.map { " (\($0))" } ?? ""))
        }
        let (nearest, why) = nearest(all, as: .bias, for: target)
        return LinkDecision(role: .bias, status: .missing, reason: all.isEmpty ? "no bias frames" : "no bias fits",
                            nearestCandidate: nearest, nearestCandidateRejection: why)
    }

    func findDark(for light: FrameGroup, bias: LinkDecision) -> LinkDecision {
        let all = candidates([.dark])
        let fitting = all.filter { LinkRequirements.violations(of: $0, as: .dark, for: light, rules: rules).isEmpty }
        if all.isEmpty { return LinkDecision(role: .dark, status: .missing, reason: "no dark frames") }
        guard !fitting.isEmpty else {
            let (nearest, why) = nearest(all, as: .dark, for: light)
            return LinkDecision(role: .dark, status: .missing, reason: "no dark fits this light", nearestCandidate: nearest, nearestCandidateRejection: why)
        }
        guard let exposure = light.exposure else {
            if rules.wbppCompatible, let longest = fitting.max(by: { ($0.exposure ?? 0) < ($1.exposure ?? 0) }) {
                return LinkDecision(role: .dark, status: .warning, group: longest.id, reason: "light exposure unknown: longest dark taken (WBPP rule): \(longest.summary)")
            }
            return LinkDecision(role: .dark, status: .missing, reason: "the lights have no EXPTIME/EXPOSURE, so no dark can be matched")
        }
        if let (exact, note) = best(fitting.filter { rules.sameExposure($0.exposure, exposure) }, for: light) {
            let unknown = switch (light.temperature, exact.temperature) {
            case (nil, nil): "; temperature unknown for lights and darks (no sensor temperature in the files, as with most DSLR raw files), so it was not compared: darks should be taken at the lights' ambient temperature"
            case (nil, _): "; the lights' temperature is unknown, so it was not compared"
            case (_, nil): "; the darks' temperature is unknown, so it was not compared"
            default: ""
            }
            return LinkDecision(role: .dark, status: .ok, group: exact.id, reason: "same exposure: \(exact.summary)" + (note.map { " (\($0))" } ?? "") + unknown)
        }
        if rules.wbppCompatible {
            let closest = fitting.min { abs(($0.exposure ?? 0) - exposure) < abs(($1.exposure ?? 0) - exposure) }!
            return LinkDecision(role: .dark, status: .warning, group: closest.id,
                                reason: "closest exposure (WBPP rule), used unscaled unless optimised: \(closest.summary)")
        }
        let longer = fitting.filter { ($0.exposure ?? 0) > exposure }.min { ($0.exposure ?? 0) < ($1.exposure ?? 0) }
        if let longer, let darkExposure = longer.exposure {
            let scale = exposure / darkExposure
            if bias.status == .ok {
                return LinkDecision(role: .dark, status: .warning, group: longer.id,
                                    reason: "no dark of \(LinkFormatting.seconds(exposure)): the \(LinkFormatting.seconds(darkExposure)) dark is scaled by \(String(format: "%.3g", scale)) after bias subtraction: \(longer.summary)",
                                    darkScale: scale)
            }
            return LinkDecision(role: .dark, status: .missing,
                                reason: "only a longer dark (\(LinkFormatting.seconds(darkExposure))) fits, and scaling it needs a master bias, which is missing",
                                nearestCandidate: longer.summary, nearestCandidateRejection: "needs a bias to be scaled")
        }
        let shorter = fitting.max { ($0.exposure ?? 0) < ($1.exposure ?? 0) }!
        return LinkDecision(role: .dark, status: .missing,
                            reason: "only shorter darks fit (longest \(shorter.exposure.map(LinkFormatting.seconds) ?? "?")); scaling a dark up amplifies its noise and misses hot pixels and amp glow",
                            nearestCandidate: shorter.summary, nearestCandidateRejection: "exposure \(shorter.exposure.map(LinkFormatting.seconds) ?? "?") is shorter than the light's \(LinkFormatting.seconds(exposure))")
    }

    func findFlat(for light: FrameGroup) -> LinkDecision {
        let all = candidates([.flat])
        let fitting = all.filter { LinkRequirements.violations(of: $0, as: .flat, for: light, rules: rules).isEmpty }
        // Flats sharing more of the light's grouping values, then of its night, then nearest in time.
        if let (chosen, note) = best(fitting, for: light, byNight: rules.flatsPerNight) {
            if rules.flatsPerNight, let lightNight = light.night, let flatNight = chosen.night, lightNight != flatNight {
                let apart = Self.distance(chosen.time, light.time).map { String(format: ", %.1f days apart", $0 / 86400) } ?? ""
                return LinkDecision(role: .flat, status: .warning, group: chosen.id,
                                    reason: "flats of night \(flatNight) for lights of night \(lightNight)\(apart) — valid only if the camera was not rotated or refocused and no dust moved in between: \(chosen.summary)")
            }
            return LinkDecision(role: .flat, status: .ok, group: chosen.id, reason: chosen.summary + (note.map { " (\($0))" } ?? ""))
        }
        if all.isEmpty { return LinkDecision(role: .flat, status: .missing, reason: "no flat frames") }
        let (nearest, why) = nearest(all, as: .flat, for: light)
        return LinkDecision(role: .flat, status: .missing, reason: "no flat for filter \(light.filter ?? "none")",
                            nearestCandidate: nearest, nearestCandidateRejection: why)
    }

    func shared(_ a: FrameGroup, _ b: FrameGroup) -> Int {
        a.groupingValues.filter { b.groupingValues[$0.key] == $0.value }.count
    }

    /// The candidate breaking the fewest rules (then closest in exposure), described with its violations.
    func nearest(_ all: [FrameGroup], as role: LinkDecision.Role, for target: FrameGroup) -> (String?, String?) {
        let scored = all.map { ($0, LinkRequirements.violations(of: $0, as: role, for: target, rules: rules)) }
        guard let best = scored.min(by: { a, b in
            (a.1.count, abs((a.0.exposure ?? 0) - (target.exposure ?? 0))) < (b.1.count, abs((b.0.exposure ?? 0) - (target.exposure ?? 0)))
        }) else { return (nil, nil) }
        return (best.0.summary, best.1.isEmpty ? nil : best.1.joined(separator: "; "))
    }
}
