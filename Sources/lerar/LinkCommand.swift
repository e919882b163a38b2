import ArgumentParser
import Foundation
import LerarCalibration
import LerarCore

struct LinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Catalogue frames, group them and decide which master calibrates which light; show it.",
        discussion: """
        Scans folders recursively (headers only) and classifies frames by IMAGETYP in any common spelling, else by
        folder and file names. Rules are stricter than WBPP's: a dark must match binning, size, gain, offset, camera
        and temperature (within --temp-tolerance); the same exposure is preferred, else the nearest longer dark is
        scaled (needs a bias, warned); shorter-only darks are refused. Flats match filter, binning, size and the
        --group-by keys; each flat is calibrated by its dark-flat, else the bias (warned), else a dark of its exposure.
        Exit status: 0 when every light group is fully linked, 2 when a link is missing (unless --allow-missing),
        1 on errors.
        """
    )

    @Argument(help: "Folders (or files) to scan.", completion: .directory)
    var roots: [String]

    @Flag(help: "Print the plan as JSON (schema lerar.link, version 1) instead of the tree.")
    var json = false

    @Option(help: "Write the linked-files diagram as a self-contained HTML page.", completion: .file(extensions: ["html"]))
    var html: String?

    @Option(help: "JSON file of forced links (masters, LN references) per light group.", completion: .file(extensions: ["json"]))
    var overrides: String?

    @Option(parsing: .upToNextOption, help: "Extra keywords that split groups (e.g. OBJECT for mosaic panels, NIGHT).")
    var groupBy: [String] = []

    @Option(help: "Temperatures within this many °C match.")
    var tempTolerance = 2.0

    @Flag(help: "Use WBPP's looser rules (closest-exposure dark, no gain/offset/temperature checks).")
    var wbppCompatible = false

    @Flag(help: "Exit 0 even when links are missing.")
    var allowMissing = false

    func run() throws {
        let rules = LinkRules(temperatureTolerance: tempTolerance, groupBy: groupBy, wbppCompatible: wbppCompatible)
        let plan: LinkPlan
        do {
            let forced = try overrides.map(LinkOverrides.load)
            let progress = ProgressReporter("cataloguing files")
            plan = try LinkPlan.make(roots: roots, rules: rules, overrides: forced) { done, total in
                if total >= 200 { progress.update(done, of: total) }
            }
            if let html {
                try LerarIOAtomic.write(LinkDiagramHTML.render(plan), to: html)
            }
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
        if json {
            try Terminal.printJSON(plan)
        } else {
            let color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            print(LinkTreeFormatter.render(plan, color: color))
            if let html { print("diagram written to \(html)") }
        }
        if !plan.fullyLinked && !allowMissing {
            Terminal.error(plan.lights.isEmpty ? "no light frames found" : "some light groups have no valid master (✗ above); fix the links or pass --allow-missing")
            throw ExitCode(2)
        }
    }
}
