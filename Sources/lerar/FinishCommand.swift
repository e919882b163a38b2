import ArgumentParser
import Foundation
import LerarCore
import LerarIO
import LerarPipeline
import LerarPostProcessing

extension FinishStretch: ExpressibleByArgument {}
extension SCNRMethod: ExpressibleByArgument {}

struct FinishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finish",
        abstract: "Make the colour image from linear masters: LinearFit, RGB combination, background neutralization, colour calibration, SCNR, deconvolution, stretch, LRGB.",
        discussion: """
        Masters are given as files; each takes its role from its FILTER keyword (L, R, G, B; a colour master is RGB) unless \
        --luminance/--red/--green/--blue/--color says otherwise. They must share one grid (as `lerar run` writes them for a panel). \
        The deconvolution's PSF is fitted on the LN references (--psf-reference; by default the LN_Reference_<stack> beside each \
        masterLight_<stack>); without one, on the master itself. Writes RGB_linear.xisf, LRGB.xisf or RGB.xisf, a 16-bit TIFF, \
        a PNG preview, PSF.xisf, the deconvolved plane and finish.json into the output folder. A field with too few clean \
        stars is still finished: the colour calibration or the deconvolution is skipped with a note. Exit status 0, or 1 \
        with the file and the cause (sizes that differ, a missing channel, an unreadable master). `lerar run` does the same per panel (finish.mode).
        """
    )
    @Argument(help: "Linear masters (FITS or XISF).", completion: .file()) var masters: [String] = []
    @Option(name: .shortAndLong, help: "Output folder (e.g. final).") var output: String
    @Option(help: "The luminance master.", completion: .file()) var luminance: String?
    @Option(help: "The red master.", completion: .file()) var red: String?
    @Option(help: "The green master.", completion: .file()) var green: String?
    @Option(help: "The blue master.", completion: .file()) var blue: String?
    @Option(help: "A colour (OSC) master.", completion: .file()) var color: String?
    @Option(parsing: .singleValue, help: "LN reference to fit the PSF on; repeat for R, G and B.", completion: .file()) var psfReference: [String] = []
    @Option(help: "A lerar run configuration file; its finish: section sets every step.", completion: .file()) var config: String?
    @Option(help: "auto (STF), arcsinh (keeps star colour) or histogram (the configuration's shadows, midtones, highlights); default: the configuration's (\(PipelineConfiguration.Finish().stretch.rawValue)).") var stretch: FinishStretch?
    @Option(help: "Most deconvolution iterations; default: the configuration's (\(PipelineConfiguration.Finish().deconvolutionIterations)).") var iterations: Int?
    @Option(help: "A sky rectangle X,Y,WIDTH,HEIGHT in the masters' px for the background neutralization; default: found automatically.") var backgroundRegion: String?
    @Flag(help: "Skip the deconvolution.") var noDeconvolution = false
    @Flag(help: "Skip SCNR.") var noScnr = false
    @Flag(help: "Skip the background neutralization.") var noBackgroundNeutralization = false
    @Flag(help: "Skip the colour calibration (it is skipped with a note when the field has too few clean stars).") var noColorCalibration = false
    @Flag(help: "Skip LinearFit.") var noLinearFit = false
    @Flag(help: "Replace outputs that exist.") var overwrite = false
    @Flag(help: "Print a JSON report (schema lerar.finish, version 1).") var json = false

    func run() throws {
        var settings = PipelineConfiguration.Finish()
        do {
            if let config { settings = try PipelineConfigurationFile.read(config).finish }
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
        if let stretch { settings.stretch = stretch }
        if let iterations { settings.deconvolutionIterations = iterations }
        if noDeconvolution { settings.deconvolution = false }
        if noScnr { settings.scnr = false }
        if noBackgroundNeutralization { settings.backgroundNeutralization = false }
        if noColorCalibration { settings.colorCalibration = false }
        if noLinearFit { settings.linearFit = false }
        if let backgroundRegion {
            let numbers = backgroundRegion.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard numbers.count == 4, numbers[2] > 0, numbers[3] > 0 else { throw ValidationError("--background-region is X,Y,WIDTH,HEIGHT in px, e.g. 100,80,200,150") }
            settings.backgroundRegion = numbers
        }
        let record: FinishRecord
        do {
            // Refused before any work: a finish takes seconds to minutes.
            if !overwrite, let existing = ["RGB_linear.xisf", "finish.json"].map({ (output as NSString).appendingPathComponent($0) }).first(where: { FileManager.default.fileExists(atPath: $0) }) {
                throw ImageIOError.outputExists(path: existing)
            }
            let roles = try assignRoles()
            let references = psfReference.isEmpty ? defaultReferences(roles) : psfReference
            let inputs = try FinishRoles.readInputs(roles, psfReferences: references)
            let progress = ProgressReporter("finish")
            var done = 0
            let products = try Finisher.run(inputs, parameters: settings.parameters) { step in
                progress.update(done, of: 10, note: step)
                done += 1
            }
            progress.update(10, of: 10, note: "writing")
            record = try FinishFiles.write(products, to: output, panel: "1", inputs: roles, psfReferences: references, overwrite: true)
        } catch let error as ValidationError {
            throw error
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
        if json {
            struct Document: Encodable { let schema = "lerar.finish", schemaVersion = 1; let finish: FinishRecord }
            try Terminal.printJSON(Document(finish: record))
            return
        }
        for step in record.steps { print(step.name.padding(toLength: 26, withPad: " ", startingAt: 0) + String(format: "%6.2f s  ", step.seconds) + step.detail) }
        for note in record.notes { print("note: \(note)") }
        for path in record.outputs { print("wrote \(path)") }
    }

    /// Role → master path: explicit options first, then each positional master by its FILTER (or its channels).
    func assignRoles() throws -> [String: String] {
        var roles: [String: String] = [:]
        let absolute = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.path }
        for (role, path) in [("L", luminance), ("R", red), ("G", green), ("B", blue), ("RGB", color)] { if let path { roles[role] = absolute(path) } }
        for path in masters.map(absolute) {
            let header = try ImageFile.readHeader(path)
            let role = header.channelCount == 3 ? "RGB" : header.metadata.keyword("FILTER").flatMap { FinishRoles.role(filter: $0.stringValue) }
            guard let role else { throw ValidationError("\(path): no FILTER keyword that says L, R, G or B; give it with --luminance/--red/--green/--blue") }
            if let other = roles[role], other != path { throw ValidationError("\(path) and \(other) are both \(role) masters; give the one to use with an option") }
            roles[role] = path
        }
        guard (roles["R"] != nil && roles["G"] != nil && roles["B"] != nil) || roles["RGB"] != nil else {
            throw ValidationError("the finish needs R, G and B masters (and optionally L), or one colour master; got \(roles.keys.sorted().joined(separator: ", ").isEmpty ? "none" : roles.keys.sorted().joined(separator: ", "))")
        }
        return roles
    }

    /// The LN references `lerar run` writes beside its masters: LN_Reference_<stack> for masterLight_<stack>.
    func defaultReferences(_ roles: [String: String]) -> [String] {
        let wanted = roles["L"] != nil && roles["RGB"] == nil ? ["L"] : ["R", "G", "B", "RGB"]
        return wanted.compactMap { roles[$0] }.compactMap { master in
            let name = URL(fileURLWithPath: master).lastPathComponent
            guard name.hasPrefix("masterLight_") else { return nil }
            let reference = ((master as NSString).deletingLastPathComponent as NSString)
                .appendingPathComponent("LN_Reference_" + name.dropFirst("masterLight_".count))
            return FileManager.default.fileExists(atPath: reference) ? reference : nil
        }
    }
}
