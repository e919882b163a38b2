import ArgumentParser
import Foundation
import LerarCore
import LerarIO

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show format, geometry, sample type, compression, key keywords and per-channel statistics of images.",
        discussion: "Exit code is 1 if any file could not be read; the others are still reported."
    )

    @Argument(help: "FITS or XISF files.", completion: .file())
    var files: [String]

    @Flag(help: "Print a JSON document (schema lerar.info, version 1) instead of text.")
    var json = false

    @Flag(help: "Skip pixel statistics (header only, fast).")
    var headerOnly = false

    func run() throws {
        var reports: [FileReport] = []
        var failures = 0
        for path in files {
            do {
                reports.append(try FileReport.make(path: path, statistics: !headerOnly))
            } catch {
                failures += 1
                Terminal.error(Terminal.describe(error))
                reports.append(FileReport(path: path, error: Terminal.describe(error)))
            }
        }
        if json {
            try Terminal.printJSON(InfoDocument(files: reports))
        } else {
            for report in reports where report.error == nil { print(report.text) }
        }
        if failures > 0 { throw ExitCode.failure }
    }
}

struct InfoDocument: Encodable {
    let schema = "lerar.info"
    let schemaVersion = 1
    let files: [FileReport]
}

/// What `lerar info` reports for one file.
struct FileReport: Encodable {
    struct Channel: Encodable {
        let count: Int, skipped: Int
        let mean: Double, median: Double, standardDeviation: Double, mad: Double, sigmaMAD: Double, minimum: Double, maximum: Double
        /// The same in ADU when the file stores integers.
        let medianADU: Double?, sigmaMADADU: Double?, minimumADU: Double?, maximumADU: Double?
    }

    var path: String
    var error: String?
    var format: String?
    var width: Int?, height: Int?, channels: Int?
    var colorSpace: String?, sampleFormat: String?, compression: String?, pixelStorage: String?, checksum: String?
    var acquisition: AcquisitionInfo?
    var keywords: [FITSKeyword]?
    var properties: [ImageProperty]?
    var statistics: [Channel]?
    var warnings: [String]?

    init(path: String, error: String) {
        self.path = path
        self.error = error
    }

    init(path: String) { self.path = path }

    static func make(path: String, statistics: Bool) throws -> FileReport {
        let header = try ImageFile.readHeader(path)
        var report = FileReport(path: path)
        report.format = header.format.rawValue
        report.width = header.width
        report.height = header.height
        report.channels = header.channelCount
        report.colorSpace = header.colorSpace.rawValue
        report.sampleFormat = header.sampleFormat.rawValue
        report.compression = header.compression
        report.pixelStorage = header.pixelStorage
        report.checksum = header.checksum
        report.acquisition = header.metadata.acquisition
        report.keywords = header.metadata.keywords
        report.properties = header.metadata.properties
        report.warnings = header.warnings
        if statistics {
            let image = try ImageFile.read(path)
            let range = header.sampleFormat.isInteger ? header.sampleFormat.integerRange : nil
            report.statistics = image.statistics().map { s in
                Channel(count: s.count, skipped: s.skippedCount, mean: s.mean, median: s.median, standardDeviation: s.standardDeviation,
                        mad: s.mad, sigmaMAD: s.sigmaMAD, minimum: s.minimum, maximum: s.maximum,
                        medianADU: range.map { s.median * $0 }, sigmaMADADU: range.map { s.sigmaMAD * $0 },
                        minimumADU: range.map { s.minimum * $0 }, maximumADU: range.map { s.maximum * $0 })
            }
        }
        return report
    }

    var text: String {
        var lines: [String] = []
        let geometry = "\(width ?? 0)×\(height ?? 0)×\(channels ?? 0)"
        lines.append("\(path)")
        lines.append("  \(format ?? "?") \(geometry) \(colorSpace ?? "?") \(sampleFormat ?? "?"), \(compression ?? "uncompressed")"
                     + (pixelStorage == "Normal" ? ", normal storage" : "") + (checksum.map { ", checksum \($0)" } ?? ""))
        if let a = acquisition {
            func show(_ value: Any?) -> String { value.map { "\($0)" } ?? "—" }
            let exposure = a.exposure.map { "\(formatNumber($0)) s" } ?? "—"
            let binning = a.binningX.map { "\($0)×\(a.binningY ?? $0)" } ?? "—"
            let temperature = a.temperature.map { "\(formatNumber($0)) °C" } ?? "—"
            lines.append("  IMAGETYP \(show(a.imageType))  EXPTIME \(exposure)  FILTER \(show(a.filter))  binning \(binning)")
            lines.append("  gain \(a.gain.map(formatNumber) ?? "—")  offset \(a.offset.map(formatNumber) ?? "—")  temperature \(temperature)  camera \(show(a.camera))  BAYERPAT \(show(a.bayerPattern))")
        }
        for (index, s) in (statistics ?? []).enumerated() {
            var line = "  channel \(index): median \(formatNumber(s.median))  σ(MAD) \(formatNumber(s.sigmaMAD))  mean \(formatNumber(s.mean))  min \(formatNumber(s.minimum))  max \(formatNumber(s.maximum))"
            if let median = s.medianADU, let sigma = s.sigmaMADADU { line += "  [median \(formatNumber(median)) ADU, σ \(formatNumber(sigma)) ADU]" }
            if s.skipped > 0 { line += "  (\(s.skipped) no-data samples skipped)" }
            lines.append(line)
        }
        for warning in warnings ?? [] { lines.append("  warning: \(warning)") }
        return lines.joined(separator: "\n")
    }
}

/// Up to 6 significant digits, no trailing zeros.
func formatNumber(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value == value.rounded() && abs(value) < 1e9 { return String(Int64(value)) }
    return String(format: "%.6g", value)
}
