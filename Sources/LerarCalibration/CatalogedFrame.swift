import Foundation
import LerarCore
import LerarIO

/// One image file as the catalogue sees it: type and the metadata that decides grouping and linking.
public struct CatalogedFrame: Sendable, Codable, Equatable {
    public var path: String
    public var type: FrameType
    /// A master built earlier (e.g. `masterDark_…xisf`), not a raw frame.
    public var isMaster: Bool
    /// Where the type came from: "IMAGETYP", "XISF imageType", "folder/file name" or "override".
    public var typeSource: String
    public var width: Int, height: Int
    /// Exposure, s (nil when the file does not say).
    public var exposure: Double?
    public var filter: String?
    public var binningX: Int, binningY: Int
    public var gain: Double?, offset: Double?
    /// Sensor temperature, °C (set point, else measured).
    public var temperature: Double?
    public var camera: String?
    /// CFA pattern for one-shot-colour frames.
    public var bayerPattern: String?
    public var object: String?
    public var dateObs: String?
    /// Values of the --group-by keywords that split calibration (modes pre and both), from the path or the header.
    public var groupingValues: [String: String]
    /// Values of the --group-by keywords that split stacks (modes post and both).
    public var stackValues: [String: String]?
    /// Observing night: a `NIGHT_x`/`SESSION_x` folder or file token, else the evening's date (`ObservingNight`).
    public var night: String?
    /// DATE-OBS in seconds since 1970.
    public var time: Double?
    /// Calibration the frame already had (MaxIm CALSTAT, PixInsight/Siril/Lerar HISTORY).
    public var calibration: CalibrationHistory?
    /// IMAGETYP and the path disagreed: what each said and which won.
    public var typeConflict: String?

    /// Binning as "1x1".
    public var binning: String { "\(binningX)x\(binningY)" }
}

/// A file the catalogue could not use, with the reason.
public struct SkippedFile: Error, Sendable, Codable, Equatable {
    public var path: String
    public var reason: String
    /// The input could not be read (corrupt, truncated, a broken link, an unreadable folder): bad input, which makes
    /// `lerar run` exit non-zero once everything else is done. False for files left out on purpose (duplicates,
    /// link loops, output folders, lights without masters under `--allow-missing`).
    public var unreadable: Bool

    public init(path: String, reason: String, unreadable: Bool = false) {
        self.path = path
        self.reason = reason
        self.unreadable = unreadable
    }

    enum CodingKeys: String, CodingKey { case path, reason, unreadable }

    /// Entries cached before `unreadable` existed decode as readable.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decode(String.self, forKey: .path)
        reason = try container.decode(String.self, forKey: .reason)
        unreadable = try container.decodeIfPresent(Bool.self, forKey: .unreadable) ?? false
    }
}

extension CatalogedFrame {
    /// Catalogue entry from a file header; a failure with the reason when the type cannot be told.
    static func make(header: ImageFileHeader, rules: LinkRules) -> Result<CatalogedFrame, SkippedFile> {
        let metadata = header.metadata, info = metadata.acquisition
        let fromHeader = info.imageType.flatMap { FrameType.classify(imageType: $0) }
        let fromPath = FrameType.classify(path: header.path)
        let headerSource = metadata.keyword("IMAGETYP") != nil ? "IMAGETYP" : "XISF imageType"
        var classified: (FrameType, isMaster: Bool)
        var source: String
        var conflict: String?
        switch (fromHeader, fromPath) {
        case let (said?, named?) where said.0 != named.0 && !(said.0 == .dark && named.0 == .darkFlat):
            let pathWins = rules.typeFrom == .path
            classified = pathWins ? (named.0, said.isMaster || named.isMaster) : said
            source = pathWins ? "folder/file name" : headerSource
            conflict = "IMAGETYP '\(info.imageType ?? "")' says \(said.0.label), the path says \(named.0.label): taken as \(classified.0.label) (--type-from \(rules.typeFrom.rawValue))"
        case let (said?, named):
            // Dark-flats are often typed 'Dark' with only the folder telling them apart.
            classified = said.0 == .dark && named?.0 == .darkFlat ? (.darkFlat, said.isMaster) : said
            source = headerSource
        case let (nil, named?):
            classified = named
            source = "folder/file name"
        case (nil, nil):
            let said = info.imageType.map { "IMAGETYP '\($0)' is not a frame type we know" } ?? "no IMAGETYP keyword"
            return .failure(SkippedFile(path: header.path, reason: "\(said), and no folder or file name says bias/dark/flat/light"))
        }
        if isMasterFile(header) && classified.0 != .light { classified.isMaster = true }
        let keywords = (try? rules.keywords()) ?? []
        let fromPathValues = PathKeywords.values(in: header.path, keys: keywords.map(\.name) + PathKeywords.sessionKeys)
        func value(_ key: String) -> String? {
            if let found = fromPathValues[key] { return found } // a value in the path wins over the header, as in WBPP
            guard let text = metadata.keyword(key)?.stringValue.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        var calibrationValues: [String: String] = [:], stackValues: [String: String] = [:]
        for (key, mode) in keywords {
            guard let found = value(key) else { continue }
            if mode != .post { calibrationValues[key] = found }
            if mode != .pre { stackValues[key] = found }
        }
        let session = PathKeywords.sessionKeys.lazy.compactMap { key in fromPathValues[key].map { "\(key)_\($0)" } }.first
        return .success(CatalogedFrame(
            path: header.path, type: classified.0, isMaster: classified.isMaster, typeSource: source, width: header.width, height: header.height,
            exposure: info.exposure, filter: info.filter, binningX: info.binningX ?? 1, binningY: info.binningY ?? info.binningX ?? 1,
            gain: info.gain, offset: info.offset, temperature: info.temperature, camera: info.camera,
            bayerPattern: info.bayerPattern, object: info.object, dateObs: info.dateObs, groupingValues: calibrationValues,
            stackValues: stackValues.isEmpty ? nil : stackValues, night: session ?? ObservingNight.night(info),
            time: info.dateObs.flatMap(ObservingNight.seconds),
            calibration: classified.0 == .light ? CalibrationHistory.read(metadata) : nil, typeConflict: conflict))
    }

    /// A pre-built master: IMAGETYP 'Master …', a file or folder named master…, Siril's `…_stacked` results, or a
    /// calibration frame that says it combines several (NCOMBINE, Siril's STACKCNT).
    static func isMasterFile(_ header: ImageFileHeader) -> Bool {
        if header.metadata.acquisition.imageType?.lowercased().hasPrefix("master") == true { return true }
        // "master", "masters", "masterDark…" as a word of a folder or file name (not "Masterclass").
        let words = header.path.lowercased().split { !$0.isLetter }
        if words.contains(where: { $0 == "master" || $0 == "masters" || (FrameType.classify(path: String($0)) != nil && $0.hasPrefix("master")) }) { return true }
        let name = URL(fileURLWithPath: header.path).deletingPathExtension().lastPathComponent.lowercased()
        if name.hasSuffix("_stacked") || name.hasPrefix("stacked_") { return true }
        for key in ["NCOMBINE", "STACKCNT"] { if let count = header.metadata.keyword(key)?.intValue, count > 1 { return true } }
        return false
    }
}
