import ArgumentParser
import Foundation
import LerarCore
import LerarIntegration
import LerarNormalization
import LerarIO
import LerarPipeline

extension IntegrationParameters.Combination: ExpressibleByArgument {}
extension IntegrationParameters.Normalization: ExpressibleByArgument {}
extension IntegrationParameters.ScaleEstimator: ExpressibleByArgument {}
extension IntegrationParameters.Rejection: ExpressibleByArgument {}

/// Integration options shared by `integrate` (and later `masters`/`run`); defaults come from `IntegrationParameters`.
struct IntegrationOptions: ParsableArguments {
    @Option(help: "average, median, minimum or maximum.")
    var combination: IntegrationParameters.Combination = IntegrationParameters().combination

    @Option(help: "none, additive, multiplicative, additive+scaling, multiplicative+scaling or local (Local Normalization, with --ln-reference).")
    var normalization: IntegrationParameters.Normalization = IntegrationParameters().normalization

    @Option(help: "Scale estimator: mad, bwmv or ikss.")
    var scaleEstimator: IntegrationParameters.ScaleEstimator = IntegrationParameters().scaleEstimator

    @Option(help: "Weights: none, exposure, noise, keyword:NAME or table:FILE.csv (path,weight per line).")
    var weights = "none"

    @Option(help: "none, minmax, percentile, sigma, winsorized, averaged-sigma, linear-fit, esd or auto (by frame count, as WBPP).")
    var rejection: IntegrationParameters.Rejection = IntegrationParameters().rejection

    @Option(parsing: .upToNextOption, help: "Sigma limits low/high for sigma, winsorized and averaged sigma clipping (default \(DefaultText.numbers(IntegrationParameters().sigmaLow, IntegrationParameters().sigmaHigh))).")
    var sigma: [Double] = []
    @Option(parsing: .upToNextOption, help: "Linear fit tolerances low/high (default \(DefaultText.numbers(IntegrationParameters().linearFitLow, IntegrationParameters().linearFitHigh))).")
    var linearFit: [Double] = []
    @Option(parsing: .upToNextOption, help: "Percentile clipping low/high (default \(DefaultText.numbers(IntegrationParameters().percentileLow, IntegrationParameters().percentileHigh))).")
    var percentile: [Double] = []
    @Option(parsing: .upToNextOption, help: "Min/max: samples rejected low/high (default \(DefaultText.numbers(Double(IntegrationParameters().minMaxLow), Double(IntegrationParameters().minMaxHigh)))).")
    var minmax: [Int] = []
    @Option(parsing: .upToNextOption, help: "ESD outlier fraction, alpha, low relaxation (default \(DefaultText.numbers(IntegrationParameters().esdOutliersFraction, IntegrationParameters().esdAlpha, IntegrationParameters().esdLowRelaxation))).")
    var esd: [Double] = []

    @Flag(help: "Do not reject low outliers.")
    var noClipLow = false
    @Flag(help: "Do not reject high outliers.")
    var noClipHigh = false
    @Option(help: "Leave out samples at or below this value (e.g. 0 for registration borders).")
    var rangeLow: Float?
    @Option(help: "Leave out samples at or above this value (e.g. 0.98 for saturation).")
    var rangeHigh: Float?
    @Flag(help: "Keep PEDESTAL in the data instead of subtracting it.")
    var keepPedestals = false
    @Flag(help: "Write low/high rejection maps next to the output.")
    var rejectionMaps = false
    @Option(help: "Memory budget for the pixel stacks, MB.")
    var maxMemory = IntegrationParameters().maxMemory >> 20

    func parameters() throws -> IntegrationParameters {
        var p = IntegrationParameters()
        p.combination = combination
        p.normalization = normalization
        p.scaleEstimator = scaleEstimator
        p.rejection = rejection
        p.weighting = try Self.weighting(weights)
        func pair<T>(_ values: [T], _ name: String, _ count: Int = 2) throws -> [T]? {
            guard !values.isEmpty else { return nil }
            guard values.count == count else { throw ValidationError("--\(name) takes \(count) values") }
            return values
        }
        if let v = try pair(sigma, "sigma") { (p.sigmaLow, p.sigmaHigh) = (v[0], v[1]) }
        if let v = try pair(linearFit, "linear-fit") { (p.linearFitLow, p.linearFitHigh) = (v[0], v[1]) }
        if let v = try pair(percentile, "percentile") { (p.percentileLow, p.percentileHigh) = (v[0], v[1]) }
        if let v = try pair(minmax, "minmax") { (p.minMaxLow, p.minMaxHigh) = (v[0], v[1]) }
        if let v = try pair(esd, "esd", 3) { (p.esdOutliersFraction, p.esdAlpha, p.esdLowRelaxation) = (v[0], v[1], v[2]) }
        p.clipLow = !noClipLow
        p.clipHigh = !noClipHigh
        if let rangeLow { p.rangeClipLow = true; p.rangeLow = rangeLow }
        if let rangeHigh { p.rangeClipHigh = true; p.rangeHigh = rangeHigh }
        p.subtractPedestals = !keepPedestals
        p.rejectionMaps = rejectionMaps
        p.maxMemory = max(1, maxMemory) << 20
        return p
    }

    static func weighting(_ text: String) throws -> IntegrationParameters.Weighting {
        switch text {
        case "none": return .none
        case "exposure": return .exposure
        case "noise": return .noise
        default:
            if text.hasPrefix("keyword:") { return .keyword(String(text.dropFirst(8))) }
            if text.hasPrefix("table:") {
                let path = String(text.dropFirst(6))
                guard let table = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read weights table \(path)") }
                var weights: [String: Double] = [:]
                for line in table.split(separator: "\n") where !line.hasPrefix("#") {
                    let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    guard fields.count >= 2, let weight = Double(fields[1]) else { continue }
                    weights[fields[0]] = weight
                }
                return .table(weights)
            }
            throw ValidationError("--weights is none, exposure, noise, keyword:NAME or table:FILE.csv")
        }
    }
}

struct IntegrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "integrate",
        abstract: "Stack frames: normalization, weights, pixel rejection and combination, in bounded memory.",
        discussion: "The output is Float32; HISTORY records the parameters. NaN samples (no data) are left out."
    )

    @Argument(help: "Frames to integrate (FITS or XISF, same geometry).", completion: .file())
    var files: [String]

    @Option(name: .shortAndLong, help: "Output file (.xisf or .fits).")
    var output: String

    @OptionGroup var options: IntegrationOptions

    @Option(name: .customLong("ln-reference"), help: "With --normalization local: the LN reference the frames are registered to (from `lerar lnref`).")
    var lnReference: String?

    @Option(name: .customLong("ln-scale"), help: "With --normalization local: normalization scale, px (PixInsight's).")
    var lnScale = LocalNormalizationParameters().scale

    @Flag(help: "Replace the output (and maps) if they exist.")
    var overwrite = false

    @Flag(help: "Print a JSON summary (schema lerar.integration, version 1).")
    var json = false

    @OptionGroup var drizzleOptions: DrizzleOptions

    func run() throws {
        let parameters = try options.parameters()
        let progress = ProgressReporter("integration")
        let result: IntegrationResult
        var drizzled: (String, String)?
        do {
            _ = try ImageFileFormat.from(path: output)
            var local: LocalNormalizationSet?
            if parameters.normalization == .local {
                guard let lnReference else { throw ValidationError("--normalization local needs --ln-reference") }
                var ln = LocalNormalizationParameters()
                ln.scale = lnScale
                let reference = try LocalNormalizationReference(path: lnReference, image: try ImageFile.read(lnReference), parameters: ln)
                let fitting = ProgressReporter("local normalization")
                // The LN fits hold whole frames: as many at once as the pixel stacks' budget allows.
                let workers = FramesInFlight.limit(frameBytes: reference.image.samples.count * MemoryLayout<Float>.stride, budget: parameters.maxMemory)
                local = try LocalNormalizationSet.fit(paths: files, reference: reference, workers: workers) { fitting.update($0, of: $1) }
                for function in local!.functions { for note in function.notes { Terminal.error("note: \(URL(fileURLWithPath: function.target).lastPathComponent): \(note)") } }
            }
            result = try IntegrationEngine(parameters: parameters).integrate(paths: files, local: local, recordRejection: drizzleOptions.drizzle != nil) { _, done, total in
                progress.update(done, of: total)
            }
            let write = ImageWriteOptions(sampleFormat: .float32, overwrite: overwrite)
            try ImageFile.write(result.image, to: output, options: write)
            _ = try result.writeRejectionMaps(beside: output, options: write)
            if drizzleOptions.drizzle != nil {
                drizzled = try drizzleOptions.run(files: files, result: result, local: local, output: output, overwrite: overwrite)
            }
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
        if json {
            try Terminal.printJSON(IntegrationSummary(output: output, rejection: result.rejection.rawValue, bandRows: result.bandRows, frames: result.frames,
                                                      drizzled: drizzled?.0, drizzleCoverage: drizzled?.1))
            return
        }
        let pixels = Double(result.image.pixelCount * result.image.channelCount)
        print("\(output): \(files.count) frames, rejection \(result.rejection.rawValue), \(result.bandRows) rows per band")
        if let drizzled { print("\(drizzled.0): drizzled (coverage map \(drizzled.1))") }
        for frame in result.frames {
            print(String(format: "  %@  weight %.3f  rejected low %.3f%%  high %.3f%%  no data %.3f%%", URL(fileURLWithPath: frame.path).lastPathComponent,
                         frame.weights.first ?? 1, 100 * Double(frame.rejectedLow) / pixels, 100 * Double(frame.rejectedHigh) / pixels,
                         100 * Double(frame.rangeRejected) / pixels))
        }
    }
}

struct IntegrationSummary: Encodable {
    let schema = "lerar.integration", schemaVersion = 1
    let output: String, rejection: String, bandRows: Int
    let frames: [IntegrationResult.FrameReport]
    let drizzled: String?, drizzleCoverage: String?
}
