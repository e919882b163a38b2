import Foundation

/// The hard rules a master must meet for a role, as a list of violations ("gain 100, light is gain 139").
enum LinkRequirements {
    static func violations(of master: FrameGroup, as role: LinkDecision.Role, for target: FrameGroup, rules: LinkRules) -> [String] {
        var broken: [String] = []
        let targetName = target.type.label
        func differ(_ name: String, _ a: String?, _ b: String?) {
            if a != b { broken.append("\(name) \(a ?? "unknown"), \(targetName) is \(name) \(b ?? "unknown")") }
        }
        if master.width != target.width || master.height != target.height {
            broken.append("size \(master.width)×\(master.height), \(targetName) is \(target.width)×\(target.height)")
        }
        differ("binning", master.binning, target.binning)
        for (key, value) in target.groupingValues where master.groupingValues[key] != nil && master.groupingValues[key] != value {
            broken.append("\(key) \(master.groupingValues[key]!), \(targetName) is \(key) \(value)")
        }
        for (key, value) in master.groupingValues where target.groupingValues[key] == nil {
            broken.append("\(key) \(value), \(targetName) has no \(key)")
        }
        if rules.wbppCompatible {
            if role == .flat {
                differ("filter", master.filter, target.filter)
                if (master.bayerPattern == nil) != (target.bayerPattern == nil) { broken.append("colour (CFA) and mono frames mixed") }
            }
            return broken
        }
        switch role {
        case .flat:
            differ("filter", master.filter, target.filter)
            differ("CFA pattern", master.bayerPattern, target.bayerPattern)
        case .bias, .dark, .darkFlat:
            differ("gain", master.gain.map(LinkFormatting.number), target.gain.map(LinkFormatting.number))
            differ("offset", master.offset.map(LinkFormatting.number), target.offset.map(LinkFormatting.number))
            differ("camera", master.camera, target.camera)
            if role != .bias, let a = master.temperature, let b = target.temperature, abs(a - b) > rules.temperatureTolerance {
                broken.append(String(format: "temperature %.1f °C, %@ is %.1f °C (tolerance %@ °C)", a, targetName, b, LinkFormatting.number(rules.temperatureTolerance)))
            }
            if role == .darkFlat && !rules.sameExposure(master.exposure, target.exposure) {
                broken.append("exposure \(master.exposure.map(LinkFormatting.seconds) ?? "unknown"), flat is \(target.exposure.map(LinkFormatting.seconds) ?? "unknown")")
            }
        }
        return broken
    }
}
