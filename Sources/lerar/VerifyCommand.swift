import ArgumentParser
import Foundation
import LerarCore
import LerarIO
import LerarSimulator

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Score a stacked result against a simulated session's truth.",
        discussion: """
        Reports background noise (robust σ of the star-free background), background flatness (peak-to-peak of the
        smoothed star-clipped background as % of the sky, measured after subtracting the truth's stars drawn at the
        result's FWHM, for L and one-shot-colour results), median FWHM and eccentricity of detected stars, the
        fraction of truth stars recovered at 5σ, satellite-trail residue (in σ), and the star-position RMS after
        fitting the result's transform to the truth catalogue.
        """
    )

    @Argument(help: "Result image (FITS or XISF).", completion: .file())
    var result: String

    @Option(help: "The simulator's truth/ folder.", completion: .directory)
    var truth: String

    @Option(help: "Mosaic panel (default: the PANEL keyword, else 1).")
    var panel: Int?

    @Option(help: "Filter (default: the FILTER keyword).")
    var filter: String?

    @Flag(help: "Print JSON (schema lerar.verify, version 1).")
    var json = false

    func run() throws {
        let report: ResultVerifier.Report
        do {
            let image = try ImageFile.read(result)
            report = try ResultVerifier.verify(image, file: result, truthFolder: truth, panel: panel, filter: filter)
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
        if json { try Terminal.printJSON(report); return }
        func show(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "—" }
        print("\(result) (panel \(report.panel), filter \(report.filter.isEmpty ? "—" : report.filter))")
        print("  background noise      \(show(report.backgroundNoise, "%.4g")) (sky level \(show(report.skyLevel, "%.4g")))")
        print("  background flatness   \(show(report.flatnessPercent, "%.3f")) % of sky (peak-to-peak)")
        print("  stars                 \(report.detectedStars) detected, median FWHM \(show(report.medianFWHM, "%.2f")) px, eccentricity \(show(report.medianEccentricity, "%.2f"))")
        print("  truth stars recovered \(report.recoveredStars) of \(report.truthStarsInField) in field (\(String(format: "%.1f", 100 * report.recoveredFraction)) %)")
        print("  star position RMS     \(show(report.starRMS, "%.3f")) px over \(report.starsInRMS) bright isolated stars (\(report.matchedStars) matched)")
        print("  trail residue         \(show(report.trailResidueSigma, "%.2f")) σ over \(report.trailsChecked) trails")
        if let ratio = report.extendedObjectFluxRatio { print("  extended object flux  \(show(100 * ratio, "%.1f")) % of the truth") }
        for note in report.notes { print("  note: \(note)") }
    }
}
