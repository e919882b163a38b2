import ArgumentParser
import Foundation
import LerarCalibration
import LerarCore
import LerarDebayer
import LerarIO

extension CFAPattern: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}

extension DebayerMethod: ExpressibleByArgument {}

struct DebayerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debayer",
        abstract: "Turn calibrated one-shot-colour (CFA) frames into RGB images.",
        discussion: """
        The pattern comes from BAYERPAT, moved by XBAYROFF/YBAYROFF (an odd offset swaps the pattern's columns or
        rows) and by ROWORDER: BOTTOM-UP files store the sensor's last row first, so for an even height the
        pattern's rows swap (as N.I.N.A. and Siril read them); without ROWORDER, top-down is assumed. --pattern
        replaces BAYERPAT (offsets and row order still apply). X-Trans mosaics are refused.
        Methods: vng (default, as PixInsight's Debayer and WBPP), bilinear, superpixel (half size, no interpolation).
        NaN samples are no data: they are left out of every interpolation. Outputs are named NAME_d.xisf as WBPP
        names them; a file that cannot be debayered is reported with its reason and the exit status is 2.
        """
    )

    @Argument(help: "Calibrated CFA frames (FITS or XISF).", completion: .file())
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    @Option(help: "Bayer pattern RGGB|BGGR|GRBG|GBRG, replacing the header's BAYERPAT.")
    var pattern: CFAPattern?

    @Option(help: "Demosaicing method: vng, bilinear or superpixel.")
    var method: DebayerMethod = DebayerParameters().method

    @OptionGroup var written: FrameOutputOptions
    var format: String { written.format }
    var overwrite: Bool { written.overwrite }
    var json: Bool { written.json }

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one frame") }
    }

    struct Debayered: Encodable { let input: String, output: String, pattern: String, method: String, explanation: String }

    func run() throws {
        let parameters = DebayerParameters(method: method, pattern: pattern)
        do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
        let progress = ProgressReporter("debayering")
        var done: [Debayered] = [], skipped: [SkippedFile] = []
        for (index, path) in inputs.enumerated() {
            do {
                let mosaic = try ImageFile.read(path)
                let layout = try CFALayout(metadata: mosaic.metadata, height: mosaic.height, override: parameters.pattern)
                let rgb = try Debayer.debayer(mosaic, layout: layout, method: parameters.method)
                let name = OutputLayout.name(of: path, adding: .debayered, extension: format)
                let target = (output as NSString).appendingPathComponent(name)
                try ImageFile.write(rgb, to: target, options: ImageWriteOptions(sampleFormat: .float32, overwrite: overwrite))
                done.append(Debayered(input: path, output: target, pattern: layout.pattern.rawValue, method: method.rawValue, explanation: layout.explanation))
            } catch {
                skipped.append(SkippedFile(path: path, reason: Terminal.describe(error)))
            }
            progress.update(index + 1, of: inputs.count)
        }
        if json {
            struct Document: Encodable { let schema = "lerar.debayer", schemaVersion = 1; let debayered: [Debayered]; let skipped: [SkippedFile] }
            try Terminal.printJSON(Document(debayered: done, skipped: skipped))
        } else {
            for file in done { print("\(file.output)  \(file.method) \(file.explanation)") }
            for file in skipped { Terminal.error("skipped \(file.path): \(file.reason)") }
        }
        if !skipped.isEmpty { throw ExitCode(2) }
    }
}
