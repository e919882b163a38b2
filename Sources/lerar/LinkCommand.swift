import ArgumentParser
import Foundation
import LerarCalibration
import LerarCore

struct LinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Catalogue frames, group them and decide which master calibrates which light; show it.",
        discussion: """
        Scans folders recursively (headers only, following symbolic links such as a linked dark library) and
        classifies frames by IMAGETYP in any common spelling and by folder and file names; where they disagree the
        path wins (--type-from header for WBPP's rule) and the tree shows ⚠. Pre-built masters (IMAGETYP 'Master …',
        files or folders named master…, Siril's *_stacked) are used as they are. Frames already calibrated elsewhere
        (MaxIm CALSTAT, PixInsight/Siril HISTORY) are not calibrated again.
        Rules are stricter than WBPP's: a dark must match binning, size, gain, offset, camera and temperature
        (within --temp-tolerance); the same exposure is preferred, else the nearest longer dark is scaled (needs a
        bias, warned); shorter-only darks are refused; among fitting masters the nearest in temperature, then in
        time, wins. Flats match filter, binning, size and the --group-by keys, and are taken per observing night
        (from NIGHT_x/SESSION_x folders, DATE-LOC, or DATE-OBS and the site longitude): lights take their own night's
        flats, else the nearest in time with ⚠. Each flat is calibrated by its dark-flat, else the bias (warned),
        else a dark of its exposure. Groups of fewer than --min-frames frames are linked with ⚠.
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

    @OptionGroup var rules: LinkRuleOptions

    @Flag(help: "Exit 0 even when links are missing.")
    var allowMissing = false

    func run() throws {
        let plan: LinkPlan
        do {
            let rules = try self.rules.linkRules()
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
