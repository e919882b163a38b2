import ArgumentParser
import Foundation
import LerarCore
import LerarRegistration

extension Resampler.Interpolation: ExpressibleByArgument {}
extension TransformModel: ExpressibleByArgument {}

struct RegisterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Align frames to a reference by their stars and resample them (Lanczos-3 with clamping).",
        discussion: """
        Matching survives dithers, any rotation (meridian flips) and mirrored frames; the model is a least-squares
        affine fit on all matched stars. Pixels outside a frame are no data: NaN, or 0 with --nodata zero.
        Frames that cannot be registered are skipped with the reason; the exit status is 1 only if all fail.
        """
    )

    @Argument(help: "Frames to register.", completion: .file())
    var files: [String]

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    @Option(help: "Reference frame (default: the frame with most stars per FWHM²).")
    var reference: String?

    @Option(help: "Transform fitted to the matched stars: similarity, affine or homography.")
    var model: TransformModel = Registrar.Parameters().model

    @Option(help: "lanczos3, bicubic or bilinear.")
    var interpolation: Resampler.Interpolation = Registrar.Parameters().interpolation

    @Option(help: "Clamping threshold against ringing (negative disables).")
    var clamping = Registrar.Parameters().clampingThreshold

    @Option(help: "No-data value: nan or zero.")
    var nodata = "nan"

    @Flag(help: "Replace existing outputs.")
    var overwrite = false

    @Flag(help: "Print a JSON report (schema lerar.registration, version 2).")
    var json = false

    @OptionGroup var memory: MemoryBudgetOptions

    func run() throws {
        guard ["nan", "zero"].contains(nodata) else { throw ValidationError("--nodata is nan or zero") }
        var parameters = Registrar.Parameters()
        parameters.interpolation = interpolation
        parameters.model = model
        parameters.clampingThreshold = clamping
        parameters.noDataAsZero = nodata == "zero"
        let registrar = Registrar(parameters: parameters)
        let progress = ProgressReporter("registering")
        let reports: [Registrar.FrameReport]
        let referencePath: String
        let workers: Int
        do {
            workers = try memory.frameWorkers(for: files)
            referencePath = try reference ?? registrar.bestReference(files)
            reports = try registrar.register(paths: files, reference: referencePath, outputFolder: output, overwrite: overwrite,
                                           workers: workers) { progress.update($0, of: $1) }
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
        if json {
            struct Document: Encodable { let schema = "lerar.registration", schemaVersion = 2; let reference: String; let framesInFlight: Int; let frames: [Registrar.FrameReport] }
            try Terminal.printJSON(Document(reference: referencePath, framesInFlight: workers, frames: reports))
        } else {
            print("reference: \(referencePath)")
            for r in reports {
                if let failure = r.failure {
                    print("  ✗ \(r.path): skipped: \(failure)")
                } else {
                    print(String(format: "  ✓ %@: %d/%d stars matched, rms %.3f px, rotation %.2f°%@", r.output ?? "", r.matched, r.stars, r.rms ?? 0,
                                 r.rotationDegrees ?? 0, r.mirrored ? ", mirrored" : ""))
                }
            }
        }
        if reports.allSatisfy({ $0.failure != nil }) {
            Terminal.error("no frame could be registered")
            throw ExitCode.failure
        }
    }
}
