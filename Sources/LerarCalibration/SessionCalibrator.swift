import Foundation
import LerarCore
import LerarIO

/// Calibrates the lights of a link plan: builds the masters it needs (into `master/`), then writes `_c` (or
/// `_c_cc` with cosmetic correction) Float32 frames into `calibrated/`. Light groups with a missing link are
/// skipped with the reason.
public struct SessionCalibrator: Sendable {
    public struct Outcome: Sendable, Codable {
        public var masters: [String: MasterBuilder.Built]
        public var calibrated: [LightCalibrator.Report]
        /// Light groups or files left out, with why.
        public var skipped: [SkippedFile]
    }

    public let plan: LinkPlan
    public let outputFolder: String
    public let parameters: CalibrationParameters
    public var overwrite = false

    public init(plan: LinkPlan, outputFolder: String, parameters: CalibrationParameters) {
        self.plan = plan
        self.outputFolder = outputFolder
        self.parameters = parameters
    }

    /// The masters a light group is calibrated with: the bias only when there is no dark, or the dark is scaled
    /// (a master dark already contains the bias), then the dark and the flat.
    public static func usedMasters(_ links: LightGroupLinks, parameters: CalibrationParameters) -> [LinkDecision] {
        let needBias = links.dark.darkScale != nil || parameters.optimizeDark || links.dark.group == nil
        return (needBias ? [links.bias] : []) + [links.dark, links.flat]
    }

    /// The calibrator for a light group from its built masters, and a one-line description of what it uses.
    public static func calibrator(for links: LightGroupLinks, group: FrameGroup, masters: [String: MasterBuilder.Built],
                                  parameters: CalibrationParameters) throws -> (LightCalibrator, String) {
        let used = usedMasters(links, parameters: parameters)
        func path(_ role: LinkDecision.Role) -> String? {
            guard let decision = used.first(where: { $0.role == role }), decision.status != .missing, let id = decision.group else { return nil }
            return masters[id]?.path
        }
        let calibrator: LightCalibrator
        do {
            calibrator = try LightCalibrator(bias: try path(.bias).map(ImageFile.read), dark: try path(.dark).map(ImageFile.read),
                                             flat: try path(.flat).map(ImageFile.read), darkScale: links.dark.darkScale,
                                             cfa: group.bayerPattern != nil, parameters: parameters)
        } catch let CalibrationError.unusableMaster(_, reason) {
            throw CalibrationError.unusableMaster(path: path(.flat) ?? "master flat", reason: reason + " (light group \(group.id))")
        }
        let description = used.compactMap { d in d.group.flatMap { masters[$0] }.map { "\(d.role.label)=\(URL(fileURLWithPath: $0.path).lastPathComponent)" } }.joined(separator: " ")
        return (calibrator, description)
    }

    /// HISTORY line of a calibrated frame.
    public static func history(_ description: String, factors: [Double], parameters: CalibrationParameters, defects: Int) -> String {
        "\(LerarVersion.application) calibrate: \(description) k=\(factors.map { String(format: "%.4f", $0) }.joined(separator: ",")) pedestal=\(LinkFormatting.number(parameters.pedestal))"
            + (parameters.cosmeticCorrection ? " cosmetic=\(defects)" : "")
    }

    public func run(only lights: Set<String>? = nil, progress: (@Sendable (String, Int, Int) -> Void)? = nil) throws -> Outcome {
        var builder = MasterBuilder(plan: plan, outputFolder: OutputLayout(root: outputFolder).path(.master))
        builder.overwrite = overwrite
        builder.overscan = parameters.overscan
        builder.overscanSmoothing = parameters.overscanSmoothing
        let masters = try builder.build { progress?($0, 0, 0) }
        let folder = OutputLayout(root: outputFolder).path(.calibrated)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var reports: [LightCalibrator.Report] = [], skipped: [SkippedFile] = []
        let total = plan.lights.reduce(0) { $0 + (plan.group($1.lightGroup)?.members.count ?? 0) }
        var done = 0
        for links in plan.lights {
            guard let group = plan.group(links.lightGroup) else { continue }
            let members = group.members.filter { lights?.contains($0) ?? true }
            guard !members.isEmpty else { continue }
            guard links.fullyLinked else {
                let missing = links.decisions.filter { $0.status == .missing }.map { "\($0.role.label): \($0.reason)" }
                skipped.append(contentsOf: members.map { SkippedFile(path: $0, reason: "not calibrated: missing \(missing.joined(separator: "; "))") })
                continue
            }
            let (calibrator, description) = try Self.calibrator(for: links, group: group, masters: masters, parameters: parameters)
            for path in members {
                var (image, factors) = try calibrator.calibrate(try ImageFile.read(path))
                image.metadata.addHistory(Self.history(description, factors: factors, parameters: parameters, defects: calibrator.defectCount))
                let output = (folder as NSString).appendingPathComponent(OutputLayout.calibratedName(of: path, cosmetic: parameters.cosmeticCorrection, extension: parameters.outputExtension))
                try ImageFile.write(image, to: output, options: ImageWriteOptions(sampleFormat: .float32, overwrite: overwrite))
                reports.append(LightCalibrator.Report(input: path, output: output, darkFactors: factors, pedestal: parameters.pedestal,
                                                      invalidFlatPixels: calibrator.invalidFlatPixels, correctedPixels: calibrator.defectCount,
                                                      warnings: calibrator.warnings))
                done += 1
                progress?("calibrating lights", done, total)
            }
        }
        return Outcome(masters: masters, calibrated: reports, skipped: skipped)
    }
}
