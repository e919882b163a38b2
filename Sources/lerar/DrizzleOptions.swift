import ArgumentParser
import Foundation
import LerarCore
import LerarIntegration
import LerarIO
import LerarNormalization
import LerarRegistration

extension DrizzleKernel: ExpressibleByArgument {}

/// `lerar integrate --drizzle`: the integrated frames drizzled from their sources, with the integration's weights,
/// normalization and pixel rejection.
struct DrizzleOptions: ParsableArguments {
    @Option(help: "Also drizzle onto a grid this many times finer (e.g. 2), from the frames' sources through their registration (needs --registration).")
    var drizzle: Double?

    @Option(help: "Drizzle drop size, fraction of a pixel.")
    var dropShrink = DrizzleParameters().dropShrink

    @Option(help: "Drizzle drop shape: square or gaussian.")
    var kernel = DrizzleParameters().kernel

    @Option(help: "With --drizzle: the JSON of `lerar register --json` that made the frames (their sources and transforms).", completion: .file(extensions: ["json"]))
    var registration: String?

    func validate() throws {
        guard let drizzle else { return }
        guard (1...4).contains(drizzle) else { throw ValidationError("--drizzle is a scale of 1…4") }
        guard (0.1...1).contains(dropShrink) else { throw ValidationError("--drop-shrink must be 0.1…1") }
        guard registration != nil else { throw ValidationError("--drizzle needs --registration (the JSON of `lerar register --json`)") }
    }

    /// The registration reports of `files` (registered outputs), in order; throws naming a frame it does not list.
    func sources(for files: [String]) throws -> [Registrar.FrameReport] {
        struct Document: Decodable { let frames: [Registrar.FrameReport] }
        guard let path = registration, let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read --registration \(registration ?? "")")
        }
        let frames = try JSONDecoder().decode(Document.self, from: data).frames
        func key(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
        return try files.map { file in
            guard let report = frames.first(where: { $0.output.map(key) == key(file) }), report.transform != nil else {
                throw ValidationError("\(file) is not a registered frame listed in \(path)")
            }
            return report
        }
    }

    /// Drizzles `files` (as integrated into `result`) and writes OUTPUT_drizzle<scale>x and its coverage map.
    func run(files: [String], result: IntegrationResult, local: LocalNormalizationSet?, output: String, overwrite: Bool) throws -> (String, String) {
        let parameters = DrizzleParameters(scale: drizzle!, dropShrink: dropShrink, kernel: kernel)
        let reports = try sources(for: files)
        guard result.rejectedSamples != nil else { throw ValidationError("internal: integration without rejection masks") }
        var accumulator = DrizzleAccumulator(referenceWidth: result.image.width, referenceHeight: result.image.height, channels: result.image.channelCount, parameters: parameters)
        let progress = ProgressReporter("drizzle")
        for (index, report) in reports.enumerated() {
            let source = try ImageFile.read(report.path)
            accumulator.add(source, integrated: index, of: result, toReference: report.transform!, function: local?.functions[index])
            progress.update(index + 1, of: reports.count)
        }
        var metadata = result.image.metadata
        metadata.addHistory(String(format: "%@ drizzle: scale %.2f, drop shrink %.2f, %@ kernel, %d frames, with the integration's weights, normalization and rejection",
                                   LerarVersion.application, parameters.scale, parameters.dropShrink, parameters.kernel.rawValue, files.count))
        let (image, coverage) = accumulator.result(metadata: metadata)
        let base = (output as NSString).deletingPathExtension + "_drizzle" + String(format: "%g", parameters.scale) + "x"
        let ext = (output as NSString).pathExtension
        let write = ImageWriteOptions(sampleFormat: .float32, overwrite: overwrite)
        try ImageFile.write(image, to: base + "." + ext, options: write)
        try ImageFile.write(coverage, to: base + OutputLayout.Suffix.coverage.rawValue + "." + ext, options: write)
        return (base + "." + ext, base + OutputLayout.Suffix.coverage.rawValue + "." + ext)
    }
}
