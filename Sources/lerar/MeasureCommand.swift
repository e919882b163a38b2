import ArgumentParser
import Foundation
import LerarCore
import LerarRegistration

struct MeasureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Measure frames: stars, FWHM, eccentricity, background, noise, SNR, PSF-signal weight and rank.",
        discussion: "FWHM comes from elliptical Moffat fits (free β) of the brightest isolated unsaturated stars."
    )

    @Argument(help: "Frames to measure.", completion: .file())
    var files: [String]

    @Option(help: "Also write the table as CSV.")
    var csv: String?

    @Flag(help: "Print JSON (schema lerar.measure, version 1).")
    var json = false

    @OptionGroup var memory: MemoryBudgetOptions

    func run() throws {
        let progress = ProgressReporter("measuring")
        let measurements: [FrameMeasurement]
        let workers: Int
        do {
            workers = try memory.frameWorkers(for: files)
            measurements = try FrameMeasurer.measure(paths: files, workers: workers) { progress.update($0, of: $1) }
            if let csv {
                var text = "path,rank,weight,stars,fitted,fwhm_px,fwhm_arcsec,eccentricity,beta,background,noise,snr\n"
                func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
                for m in measurements {
                    text += "\"\(m.path)\",\(m.rank),\(f(m.weight)),\(m.stars),\(m.fittedStars),\(f(m.fwhm)),\(f(m.fwhmArcsec)),\(f(m.eccentricity)),\(f(m.beta)),\(f(m.background)),\(f(m.noise)),\(f(m.snr))\n"
                }
                try LerarIOAtomic.write(text, to: csv)
            }
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
        if json {
            struct Document: Encodable { let schema = "lerar.measure", schemaVersion = 1; let framesInFlight: Int; let frames: [FrameMeasurement] }
            try Terminal.printJSON(Document(framesInFlight: workers, frames: measurements))
            return
        }
        for m in measurements.sorted(by: { $0.rank < $1.rank }) {
            print(String(format: "#%-3d %@  stars %d  FWHM %@ px%@  ecc %@  SNR %@  weight %.4g", m.rank, URL(fileURLWithPath: m.path).lastPathComponent,
                         m.stars, m.fwhm.map { String(format: "%.2f", $0) } ?? "—", m.fwhmArcsec.map { String(format: " (%.2f\")", $0) } ?? "",
                         m.eccentricity.map { String(format: "%.2f", $0) } ?? "—", m.snr.map { String(format: "%.1f", $0) } ?? "—", m.weight))
        }
    }
}
