import ArgumentParser
import Foundation
import LerarCore
import LerarIO
import LerarNormalization

extension BackgroundExtraction.Correction: ExpressibleByArgument {}

struct LNReferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lnref",
        abstract: "Build the Local Normalization reference: the best N registered subs, LN-normalized to the best, averaged.",
        discussion: "Frames are ranked by `lerar measure`'s weight. Missing data in the result (NaN borders, zero columns) is reported; LN masks it. --flatten removes the reference's own gradient, which LN would otherwise copy into every sub."
    )
    @Argument(help: "Registered frames.", completion: .file()) var files: [String]
    @Option(name: .shortAndLong, help: "Output reference (e.g. reference_master.xisf).") var output: String
    @Option(help: "Frames to average, 10…20 (WBPP 20).") var best = ReferenceBuilder.Parameters().best
    @Flag(help: "Extract the background of the reference (polynomial, see --degree). Off here as in WBPP; `lerar run` flattens by default (normalization.flattenReference).") var flatten = false
    @Option(help: "Polynomial degree for --flatten (1…6).") var degree = BackgroundExtraction.defaultDegree
    @Option(help: "Normalization scale of the first stage, px.") var scale = LocalNormalizationParameters().scale
    @Flag(help: "Replace the output if it exists.") var overwrite = false
    @Flag(help: "Print a JSON report (schema lerar.lnref, version 1).") var json = false
    @OptionGroup var memory: MemoryBudgetOptions

    func run() throws {
        var parameters = ReferenceBuilder.Parameters()
        parameters.best = best
        parameters.flatten = flatten
        parameters.extraction.model = .polynomial(degree: degree)
        var builder = ReferenceBuilder(parameters: parameters)
        builder.normalization.scale = scale
        let progress = ProgressReporter("LN reference")
        let report: ReferenceBuilder.Report
        do {
            builder.frameWorkers = try memory.frameWorkers(for: files)
            report = try builder.build(paths: files, output: output, overwrite: overwrite) { _, done, total in if total > 0 { progress.update(done, of: total) } }
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
        if json {
            struct Document: Encodable { let schema = "lerar.lnref", schemaVersion = 1; let report: ReferenceBuilder.Report }
            try Terminal.printJSON(Document(report: report))
            return
        }
        print("\(output): average of \(report.used.count) frames (best first):")
        for path in report.used { print("  + \(URL(fileURLWithPath: path).lastPathComponent)") }
        for path in report.unused { print("  - \(URL(fileURLWithPath: path).lastPathComponent) (not among the best \(best))") }
        print(String(format: "background gradient %.2f %% of sky%@", report.gradientBefore, report.gradientAfter.map { String(format: " → %.2f %% after flattening", $0) } ?? ""))
        print("missing data: \(report.missing.summary)")
        for note in report.notes { print("note: \(note)") }
    }
}

struct NormalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalize",
        abstract: "Local Normalization: fit each registered frame's background and signal to its panel's reference; writes _n frames.",
        discussion: "Zero or NaN pixels of the reference are masked out of the fit and the surfaces filled across them; pixels without data stay NaN. With several --reference files, each frame goes to the reference of its own panel (--group-by keywords); a frame with no reference of its panel is an error."
    )
    @Argument(help: "Registered frames.", completion: .file()) var files: [String]
    @Option(parsing: .singleValue, help: "LN reference; repeat once per mosaic panel.") var reference: [String]
    @Option(name: .shortAndLong, help: "Output folder.") var output: String
    @Option(help: "Normalization scale, px (PixInsight's).") var scale = LocalNormalizationParameters().scale
    @Option(help: "Pedestal added to reference and frames alike, ADU (e.g. 100).") var pedestal = 0.0
    @Flag(help: "Match backgrounds only (no signal scale).") var noScale = false
    @Option(parsing: .upToNextOption, help: "Keywords that identify a panel (default OBJECT PANEL).") var groupBy: [String] = PanelIdentity.defaultKeys
    @Flag(help: "Crop every output to the area where all frames have data.") var autocrop = false
    @Flag(help: "Replace existing outputs.") var overwrite = false
    @Flag(help: "Print a JSON report (schema lerar.normalization, version 1).") var json = false
    @OptionGroup var memory: MemoryBudgetOptions

    func run() throws {
        guard !reference.isEmpty else { throw ValidationError("give at least one --reference") }
        var parameters = LocalNormalizationParameters()
        parameters.scale = scale
        parameters.pedestalADU = pedestal
        parameters.scaleSignal = !noScale
        var functions: [LocalNormalizationFunction] = []
        var outputs: [String] = []
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            let references = try reference.map { try LocalNormalizationReference(path: $0, image: try ImageFile.read($0), parameters: parameters) }
            for r in references where !r.missing.isEmpty { Terminal.error("warning: \(r.path): \(r.missing.summary); these pixels are masked out of the fit") }
            // Frames by panel, each to the reference of its panel.
            var groups: [Int: [String]] = [:]
            let headers = try files.map(ImageFile.readHeader)
            for (path, header) in zip(files, headers) {
                let panel = PanelIdentity(header.metadata, keys: groupBy)
                guard let index = references.firstIndex(where: { PanelIdentity($0.image.metadata, keys: groupBy) == panel }) else {
                    let available = references.map { PanelIdentity($0.image.metadata, keys: groupBy).description }.joined(separator: ", ")
                    throw NormalizationError.wrongPanel(path: path, detail: "frame of panel \(panel), but the references are of \(available): normalize each panel against its own reference")
                }
                groups[index, default: []].append(path)
            }
            let progress = ProgressReporter("normalizing")
            let workers = memory.frameWorkers(headers: headers)
            var crop = Autocrop(width: references[0].image.width, height: references[0].image.height)
            for (index, paths) in groups.sorted(by: { $0.key < $1.key }) {
                let set = try LocalNormalizationSet.fit(paths: paths, reference: references[index], panelKeys: groupBy, workers: workers) { progress.update($0, of: $1) }
                for function in set.functions {
                    var image = function.apply(to: try ImageFile.read(function.target))
                    image.metadata.addHistory(String(format: "%@ normalize: LN to %@, scale %d px, signal ×%.5f, pedestal %.1f ADU", LerarVersion.application,
                                                     URL(fileURLWithPath: function.reference).lastPathComponent, parameters.effectiveScale(width: image.width, height: image.height),
                                                     function.scales[0], pedestal))
                    let out = OutputLayout.path(of: function.target, adding: .normalized, extension: "xisf", in: output)
                    try ImageFile.write(image, to: out, options: ImageWriteOptions(sampleFormat: .float32, overwrite: overwrite))
                    if autocrop { crop.add(image) }
                    functions.append(function)
                    outputs.append(out)
                }
            }
            if autocrop {
                guard let box = crop.rectangle() else { throw NormalizationError.insufficientData(path: output, detail: "the frames have no area in common") }
                for out in outputs {
                    var image = try ImageFile.read(out).cropped(x: box.x, y: box.y, width: box.width, height: box.height)
                    image.metadata.addHistory("\(LerarVersion.application) normalize: autocrop x \(box.x) y \(box.y) \(box.width)×\(box.height)")
                    try ImageFile.write(image, to: out, options: ImageWriteOptions(sampleFormat: .float32, overwrite: true))
                }
                Terminal.error("autocrop: x \(box.x), y \(box.y), \(box.width)×\(box.height) px")
            }
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
        if json {
            struct Frame: Encodable { let input: String, output: String, reference: String, scales: [Double], stars: [Int], notes: [String] }
            struct Document: Encodable { let schema = "lerar.normalization", schemaVersion = 1; let frames: [Frame] }
            try Terminal.printJSON(Document(frames: zip(functions, outputs).map { Frame(input: $0.target, output: $1, reference: $0.reference, scales: $0.scales, stars: $0.scaleStars, notes: $0.notes) }))
            return
        }
        for (function, out) in zip(functions, outputs) {
            print(String(format: "  ✓ %@: signal ×%.4f (%d stars)%@", out, function.scales[0], function.scaleStars[0],
                         function.notes.isEmpty ? "" : "; " + function.notes.joined(separator: "; ")))
        }
    }
}

struct LinearFitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linearfit",
        abstract: "LinearFit (global): a robust line per channel fitting each frame to the reference; for comparison and channel matching.",
        discussion: "Only pixel pairs inside (--reject-low, --reject-high) on both sides are fitted (PixInsight 0, 0.92). Gradients that differ between frames stay: that is what `lerar normalize` removes."
    )
    @Argument(help: "Frames.", completion: .file()) var files: [String]
    @Option(help: "Reference frame.") var reference: String
    @Option(name: .shortAndLong, help: "Output folder (writes _n frames).") var output: String
    @Option(help: "Pixels at or below this are left out of the fit.") var rejectLow: Float = 0
    @Option(help: "Pixels at or above this are left out of the fit.") var rejectHigh: Float = 0.92
    @Flag(help: "Replace existing outputs.") var overwrite = false
    @Flag(help: "Print a JSON report (schema lerar.linearfit, version 1).") var json = false

    func run() throws {
        var parameters = LinearFitNormalizer.Parameters()
        parameters.rejectLow = rejectLow
        parameters.rejectHigh = rejectHigh
        guard rejectLow < rejectHigh else { throw ValidationError("--reject-low must be below --reject-high") }
        struct Frame: Encodable { let input: String, output: String, fits: [LinearFitNormalizer.Fit] }
        var frames: [Frame] = []
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            let referenceImage = try ImageFile.read(reference)
            for path in files {
                let image = try ImageFile.read(path)
                let fits = try LinearFitNormalizer.fit(target: image, reference: referenceImage, parameters: parameters, path: path)
                var fitted = LinearFitNormalizer.apply(fits, to: image)
                fitted.metadata.addHistory("\(LerarVersion.application) linearfit: to \(URL(fileURLWithPath: reference).lastPathComponent), " +
                                           fits.map { String(format: "%.6g + %.6g·x", $0.offset, $0.slope) }.joined(separator: ", "))
                let out = OutputLayout.path(of: path, adding: .normalized, extension: "xisf", in: output)
                try ImageFile.write(fitted, to: out, options: ImageWriteOptions(sampleFormat: .float32, overwrite: overwrite))
                frames.append(Frame(input: path, output: out, fits: fits))
            }
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
        if json {
            struct Document: Encodable { let schema = "lerar.linearfit", schemaVersion = 1; let frames: [Frame] }
            try Terminal.printJSON(Document(frames: frames))
            return
        }
        for frame in frames {
            print("  ✓ \(frame.output): " + frame.fits.map { String(format: "%.6g + %.6g·x (mean |dev| %.3g, %d pairs)", $0.offset, $0.slope, $0.meanAbsoluteDeviation, $0.pairs) }.joined(separator: "; "))
        }
    }
}

struct BackgroundCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "background",
        abstract: "Background extraction: a smooth model fitted to star-free samples on a grid, subtracted (level kept) or divided.",
        discussion: "--degree N fits a 2-D polynomial (ABE-like); --spline a smooth surface through the samples (DBE-like)."
    )
    @Argument(help: "Input image.", completion: .file()) var input: String
    @Option(name: .shortAndLong, help: "Output image.") var output: String
    @Option(help: "Polynomial degree, 1…6.") var degree = BackgroundExtraction.defaultDegree
    @Flag(help: "Smooth surface instead of a polynomial.") var spline = false
    @Option(help: "subtract or divide.") var correction: BackgroundExtraction.Correction = .subtract
    @Option(help: "Sample cell size, px (default 1/24 of the short side).") var sampleSpacing: Int?
    @Option(help: "Also write the background model here.") var model: String?
    @Flag(help: "Replace existing outputs.") var overwrite = false

    func run() throws {
        var parameters = BackgroundExtraction.Parameters()
        parameters.model = spline ? .surface : .polynomial(degree: degree)
        parameters.correction = correction
        parameters.sampleSpacing = sampleSpacing
        do {
            guard URL(fileURLWithPath: input).standardizedFileURL != URL(fileURLWithPath: output).standardizedFileURL else {
                throw ValidationError("the output must not be the input")
            }
            let image = try ImageFile.read(input)
            let before = ReferenceBuilder.gradientPercent(image)
            var (corrected, background) = try BackgroundExtraction.apply(image, parameters: parameters)
            corrected.metadata.addHistory("\(LerarVersion.application) background: \(spline ? "surface" : "polynomial degree \(degree)"), \(correction.rawValue)")
            try ImageFile.write(corrected, to: output, options: ImageWriteOptions(sampleFormat: .float32, overwrite: overwrite))
            if let model {
                background.metadata.imageType = "BackgroundModel"
                try ImageFile.write(background, to: model, options: ImageWriteOptions(sampleFormat: .float32, overwrite: overwrite))
            }
            print(String(format: "%@: background gradient %.2f %% → %.2f %% of sky", output, before, ReferenceBuilder.gradientPercent(corrected)))
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
    }
}
