import ArgumentParser
import LerarCalibration

extension LinkRules.TypeSource: ExpressibleByArgument {}

/// The linking options `lerar link` and `lerar masters` share; defaults come from `LinkRules`.
struct LinkRuleOptions: ParsableArguments {
    static let defaults = LinkRules()

    @Option(parsing: .upToNextOption, help: "Grouping keywords, from the header or KEY_value in paths: KEY or KEY:pre (calibration only, e.g. NIGHT), KEY:post (separate stacks), KEY:both.")
    var groupBy: [String] = []

    @Option(help: "Temperatures within this many °C match.")
    var tempTolerance = LinkRuleOptions.defaults.temperatureTolerance

    @Option(help: "Which wins when IMAGETYP and the folder/file name disagree: path or header (WBPP).")
    var typeFrom = LinkRuleOptions.defaults.typeFrom

    @Flag(inversion: .prefixedNo, help: "Take flats per observing night (lights get their own night's flats).")
    var flatsPerNight = LinkRuleOptions.defaults.flatsPerNight

    @Option(help: "Calibration groups with fewer frames are linked with a warning.")
    var minFrames = LinkRuleOptions.defaults.minimumFrames

    @Flag(help: "Use WBPP's looser rules (closest-exposure dark, no gain/offset/temperature checks).")
    var wbppCompatible = false

    /// The rules; a grouping keyword with an unknown mode is refused.
    func linkRules() throws -> LinkRules {
        let rules = LinkRules(temperatureTolerance: tempTolerance, groupBy: groupBy, wbppCompatible: wbppCompatible,
                              typeFrom: typeFrom, flatsPerNight: flatsPerNight, minimumFrames: minFrames)
        _ = try rules.keywords()
        return rules
    }
}
