import ArgumentParser
import Foundation
import LerarCalibration
import LerarCore
import LerarIO

struct MastersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "masters",
        abstract: "Build master bias, darks, dark-flats and flats for every group `lerar link` forms.",
        discussion: """
        Bias and darks: average, no normalization, winsorized sigma clipping. Flats: each frame calibrated by its
        dark-flat (else the bias), then average with multiplicative normalization and winsorized sigma clipping.
        Names as WBPP: masterDark_BIN-1_GAIN-100_EXPTIME-300s.xisf. masters.json lists group → file.
        Files that cannot be read are left out and listed; the masters of the rest are built and the exit status is 2.
        """
    )

    @Argument(help: "Folders (or files) to scan (or give --link).", completion: .directory)
    var roots: [String] = []

    @Option(help: "Link plan (JSON from `lerar link --json`) instead of scanning.", completion: .file(extensions: ["json"]))
    var link: String?

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    @OptionGroup var rules: LinkRuleOptions

    @Flag(help: "Subtract each frame's overscan (BIASSEC) and trim it to TRIMSEC/DATASEC first, as ccdproc.")
    var overscan = false

    @Flag(help: "Replace existing masters.")
    var overwrite = false

    func validate() throws {
        guard (link == nil) != roots.isEmpty else { throw ValidationError("give folders to scan, or a plan with --link (not both)") }
    }

    func run() throws {
        do {
            let plan = try link.map(CalibrateCommand.loadPlan) ?? LinkPlan.make(roots: roots, rules: try rules.linkRules())
            var builder = MasterBuilder(plan: plan, outputFolder: output)
            builder.overwrite = overwrite
            builder.overscan = overscan
            let built = try builder.build { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
            try LerarIOAtomic.write(try Self.json(built), to: (output as NSString).appendingPathComponent("masters.json"))
            for entry in built.values.sorted(by: { $0.path < $1.path }) {
                print("\(entry.path)  (\(entry.frames) frames, rejection \(entry.rejection))")
            }
            for file in plan.skipped { Terminal.error("skipped \(file.path): \(file.reason)") }
            let unreadable = plan.skipped.filter(\.unreadable).count
            if unreadable > 0 {
                // As `lerar run`: the masters of the rest are built, but a script must not take them for complete.
                Terminal.error("\(unreadable) input \(unreadable == 1 ? "file" : "files") could not be read (listed above); "
                               + "the masters were built without them: exit status 2")
                throw ExitCode(2)
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Calibrate lights: (light − bias − k·(dark − bias)) / (flat / mean flat) + pedestal.",
        discussion: """
        With --link PLAN.json (from `lerar link --json`) the masters are built into OUTDIR/master and every linked
        light group is calibrated into OUTDIR/calibrated; groups with a missing link are skipped with the reason.
        Otherwise give the masters with --bias/--dark/--flat. k is 1, the exposure ratio for a longer dark (with a
        bias), or the noise-minimising factor with --optimize-dark. Outputs are Float32 `_c` (`_c_cc` with
        --cosmetic); --pedestal is recorded as PEDESTAL.
        """
    )

    @Argument(help: "Lights (all lights of the plan when --link is given and none are named).", completion: .file())
    var lights: [String] = []

    @Option(help: "Link plan (JSON from `lerar link --json`).", completion: .file(extensions: ["json"]))
    var link: String?

    @Option(help: "Master bias.") var bias: String?
    @Option(help: "Master dark.") var dark: String?
    @Option(help: "Master flat.") var flat: String?

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    @Option(help: "Pedestal added to the results, ADU (e.g. 100).")
    var pedestal = 0.0

    @Flag(help: "Scale the dark to minimise noise (needs a bias).")
    var optimizeDark = false

    @Flag(help: "Replace hot pixels (from the master dark) and cold pixels and dead columns (from the master flat). Off here, so a single step does only what it is told; `lerar run` corrects by default (calibration.cosmeticCorrection).")
    var cosmetic = CalibrationParameters().cosmeticCorrection

    @Flag(help: "Subtract the overscan (BIASSEC, median per line) and trim to TRIMSEC/DATASEC first; masters must be built with `masters --overscan`.")
    var overscan = false

    @OptionGroup var written: FrameOutputOptions
    var format: String { written.format }
    var overwrite: Bool { written.overwrite }
    var json: Bool { written.json }

    func validate() throws {
        guard link != nil || !lights.isEmpty else { throw ValidationError("give lights, or a plan with --link") }
        guard link == nil || (bias == nil && dark == nil && flat == nil) else { throw ValidationError("--link and --bias/--dark/--flat exclude each other") }
    }

    func run() throws {
        var parameters = CalibrationParameters()
        parameters.pedestal = pedestal
        parameters.optimizeDark = optimizeDark
        parameters.cosmeticCorrection = cosmetic
        parameters.overscan = overscan
        parameters.outputExtension = format
        let progress = ProgressReporter("calibrating")
        do {
            if let link {
                let plan = try Self.loadPlan(link)
                var calibrator = SessionCalibrator(plan: plan, outputFolder: output, parameters: parameters)
                calibrator.overwrite = overwrite
                let outcome = try calibrator.run(only: lights.isEmpty ? nil : Set(lights)) { label, done, total in
                    if total > 0 { progress.update(done, of: total) } else { FileHandle.standardError.write(Data((label + "\n").utf8)) }
                }
                try report(outcome.calibrated, skipped: outcome.skipped)
                if !outcome.skipped.isEmpty { throw ExitCode(2) }
            } else {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
                let masters = (try bias.map(ImageFile.read), try dark.map(ImageFile.read), try flat.map(ImageFile.read))
                var reports: [LightCalibrator.Report] = []
                for (index, path) in lights.enumerated() {
                    let light = try ImageFile.read(path)
                    var scale: Double?
                    if let d = masters.1, let lightExposure = light.metadata.acquisition.exposure, let darkExposure = d.metadata.acquisition.exposure,
                       abs(lightExposure - darkExposure) > 0.01 * max(lightExposure, darkExposure) {
                        scale = lightExposure / darkExposure
                    }
                    let calibrator: LightCalibrator
                    do {
                        calibrator = try LightCalibrator(bias: masters.0, dark: masters.1, flat: masters.2, darkScale: scale,
                                                         cfa: light.metadata.acquisition.bayerPattern != nil, parameters: parameters)
                    } catch let CalibrationError.unusableMaster(_, reason) {
                        throw CalibrationError.unusableMaster(path: flat ?? "master flat", reason: reason)
                    }
                    var (image, factors) = try calibrator.calibrate(light)
                    image.metadata.addHistory("\(LerarVersion.application) calibrate: k=\(factors.map { String(format: "%.4f", $0) }.joined(separator: ",")) pedestal=\(pedestal)")
                    let out = (output as NSString).appendingPathComponent(OutputLayout.calibratedName(of: path, cosmetic: cosmetic, extension: format))
                    try ImageFile.write(image, to: out, options: ImageWriteOptions(sampleFormat: .float32, overwrite: overwrite))
                    reports.append(LightCalibrator.Report(input: path, output: out, darkFactors: factors, pedestal: pedestal,
                                                          invalidFlatPixels: calibrator.invalidFlatPixels, correctedPixels: calibrator.defectCount, warnings: calibrator.warnings))
                    progress.update(index + 1, of: lights.count)
                }
                try report(reports, skipped: [])
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
    }

    /// A link plan from `lerar link --json`, refusing other schemas and newer versions.
    static func loadPlan(_ path: String) throws -> LinkPlan {
        guard let data = FileManager.default.contents(atPath: path) else { throw CalibrationError.missingInput(path) }
        let plan: LinkPlan
        do { plan = try JSONDecoder().decode(LinkPlan.self, from: data) } catch {
            throw CalibrationError.badOverrides(path: path, reason: "not a link plan: \(error)")
        }
        guard plan.schema == "lerar.link", plan.schemaVersion <= 1 else {
            throw CalibrationError.badOverrides(path: path, reason: "plan schema \(plan.schema) v\(plan.schemaVersion) is not supported")
        }
        return plan
    }

    func report(_ reports: [LightCalibrator.Report], skipped: [SkippedFile]) throws {
        if json {
            struct Document: Encodable { let schema = "lerar.calibration", schemaVersion = 1; let calibrated: [LightCalibrator.Report]; let skipped: [SkippedFile] }
            try Terminal.printJSON(Document(calibrated: reports, skipped: skipped))
            return
        }
        for r in reports {
            print("\(r.output)  k=\(r.darkFactors.map { String(format: "%.4f", $0) }.joined(separator: ","))" + (r.correctedPixels > 0 ? "  cosmetic \(r.correctedPixels) px" : ""))
        }
        for warning in Set(reports.flatMap(\.warnings)).sorted() { Terminal.error("warning: \(warning)") }
        for file in skipped { Terminal.error("skipped \(file.path): \(file.reason)") }
    }
}
