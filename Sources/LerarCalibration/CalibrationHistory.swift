import Foundation
import LerarCore

/// Frames that were already calibrated elsewhere, recognised from what their headers say, so they are neither
/// calibrated twice nor refused for lacking calibration frames.
public struct CalibrationHistory: Sendable, Codable, Equatable {
    /// Steps already applied.
    public var bias: Bool, dark: Bool, flat: Bool
    /// What said so ("CALSTAT = 'BDF' (MaxIm DL)").
    public var evidence: String

    /// Roles that need no master any more.
    public var appliedRoles: [LinkDecision.Role] {
        [(bias, LinkDecision.Role.bias), (dark, .dark), (flat, .flat)].filter(\.0).map(\.1)
    }

    /// "bias, dark and flat".
    public var steps: String {
        let names = appliedRoles.map(\.label)
        return names.count > 1 ? names.dropLast().joined(separator: ", ") + " and " + names.last! : names.first ?? "nothing"
    }

    /// What the header says was applied, nil for a raw frame. Read: CALSTAT letters (MaxIm DL, AstroArt); PixInsight
    /// ImageCalibration HISTORY (with the masters it names); Siril's and Lerar's calibration HISTORY; MaxIm's
    /// "Process Calibrate"/"Calibrate" HISTORY.
    public static func read(_ metadata: ImageMetadata) -> CalibrationHistory? {
        if let status = metadata.keyword(AcquisitionKeywords.calibrationStatus.primary)?.stringValue.uppercased(), !status.isEmpty {
            let result = CalibrationHistory(bias: status.contains("B"), dark: status.contains("D"), flat: status.contains("F"),
                                            evidence: "CALSTAT = '\(status)'")
            if result.bias || result.dark || result.flat { return result }
        }
        let history = metadata.keywords.filter { $0.name == "HISTORY" }.map { $0.comment.lowercased() }
        if history.contains(where: { $0.contains("imagecalibration") }) {
            let named = (history.contains { $0.contains("masterbias") }, history.contains { $0.contains("masterdark") }, history.contains { $0.contains("masterflat") })
            let any = named.0 || named.1 || named.2
            return CalibrationHistory(bias: any ? named.0 : true, dark: any ? named.1 : true, flat: any ? named.2 : true,
                                      evidence: "PixInsight ImageCalibration HISTORY")
        }
        if let line = history.first(where: { $0.contains("calibrate:") && $0.contains("lerar") }) {
            return CalibrationHistory(bias: true, dark: line.contains("dark="), flat: line.contains("flat="), evidence: "Lerar calibrate HISTORY")
        }
        if history.contains(where: { $0.contains("calibration") && $0.contains("siril") || $0.hasPrefix("calibrated") }) {
            return CalibrationHistory(bias: true, dark: true, flat: true, evidence: "Siril calibration HISTORY")
        }
        if history.contains(where: { $0.contains("process calibrate") || $0.hasPrefix("calibrate") || $0.contains("calibrated by maxim") }) {
            return CalibrationHistory(bias: true, dark: true, flat: true, evidence: "MaxIm DL calibration HISTORY")
        }
        return nil
    }
}
