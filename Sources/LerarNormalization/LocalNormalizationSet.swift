import Foundation
import LerarCore
import LerarIntegration
import LerarIO

/// The functions of a set of registered frames against one reference, fitted in parallel (one frame in memory per
/// core); usable by `IntegrationEngine` as its local normalization.
public struct LocalNormalizationSet: Sendable, LocalFrameNormalization {
    public let functions: [LocalNormalizationFunction]

    public init(functions: [LocalNormalizationFunction]) { self.functions = functions }

    /// Fits every frame of `paths` to `reference`; frames of another panel are refused (see `PanelIdentity`).
    /// `fwhm`: measured FWHM (px) by path, where known, for the photometry apertures.
    /// `source`: where the frames are read (files, or images held in memory under those paths).
    /// `workers`: whole frames fitted at once (see `Parallel.frameWorkers`); the loops inside use every core.
    public static func fit(paths: [String], source: ImageSource = .files, reference: LocalNormalizationReference, panelKeys: [String] = PanelIdentity.defaultKeys,
                           fwhm: [String: Double] = [:], workers: Int = Parallel.coreCount,
                           progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> LocalNormalizationSet {
        let referencePanel = PanelIdentity(reference.image.metadata, keys: panelKeys)
        let results = UnsafeMutableBufferPointer<LocalNormalizationFunction?>.allocate(capacity: paths.count)
        results.initialize(repeating: nil)
        defer { results.deinitialize(); results.deallocate() }
        let shared = UnsafeSendable(results), errors = FirstError(), done = Tally()
        Parallel.forEach(iterations: paths.count, workers: workers) { index in
            do {
                let image = try source.read(paths[index])
                try PanelIdentity(image.metadata, keys: panelKeys).check(against: referencePanel, path: paths[index], reference: reference.path)
                shared.value[index] = try reference.function(for: image, path: paths[index], targetFWHM: fwhm[paths[index]])
            } catch { errors.record(error) }
            progress?(done.next(), paths.count)
        }
        if let error = errors.first { throw error }
        return LocalNormalizationSet(functions: results.map { $0! })
    }

    public func apply(frame: Int, channel: Int, rows: Range<Int>, values: UnsafeMutableBufferPointer<Float>) {
        functions[frame].apply(channel: channel, rows: rows, values: values)
    }

    public func signalScale(frame: Int, channel: Int) -> Double { functions[frame].scales[channel] }
}

/// Which mosaic panel a frame belongs to: the values of the grouping keywords (OBJECT and PANEL by default, as the
/// simulator and N.I.N.A. write them; `--group-by` chooses others). LN must never fit one panel to another's
/// reference: it would paint A's background onto B.
public struct PanelIdentity: Sendable, Equatable, CustomStringConvertible {
    public static let defaultKeys = ["OBJECT", "PANEL"]
    public let values: [String]

    public init(_ metadata: ImageMetadata, keys: [String]) {
        values = keys.map { key in metadata.keyword(key)?.stringValue.trimmingCharacters(in: .whitespaces) ?? "" }
    }

    public var description: String {
        let shown = values.filter { !$0.isEmpty }
        return shown.isEmpty ? "(no panel keywords)" : shown.joined(separator: " / ")
    }

    /// Throws `wrongPanel` unless the identities agree.
    public func check(against reference: PanelIdentity, path: String, reference referencePath: String) throws {
        guard self != reference else { return }
        throw NormalizationError.wrongPanel(path: path, detail: "frame of panel \(self), but the reference \(URL(fileURLWithPath: referencePath).lastPathComponent) is panel \(reference): normalize each panel against its own reference")
    }
}
