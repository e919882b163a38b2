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
    /// Values of the user's --group-by keywords (missing keywords are absent).
    public var groupingValues: [String: String]

    /// Binning as "1x1".
    public var binning: String { "\(binningX)x\(binningY)" }
}

/// A file the catalogue could not use, with the reason.
public struct SkippedFile: Error, Sendable, Codable, Equatable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

extension CatalogedFrame {
    /// Catalogue entry from a file header; nil with a reason when the type cannot be told.
    static func make(header: ImageFileHeader, groupBy: [String]) -> Result<CatalogedFrame, SkippedFile> {
        let metadata = header.metadata, info = metadata.acquisition
        var classified: (FrameType, isMaster: Bool)?
        var source = ""
        if let imageType = info.imageType, let found = FrameType.classify(imageType: imageType) {
            classified = found
            source = metadata.keyword("IMAGETYP") != nil ? "IMAGETYP" : "XISF imageType"
        } else if let found = FrameType.classify(path: header.path) {
            classified = found
            source = "folder/file name"
        }
        guard var (type, isMaster) = classified else {
            let said = info.imageType.map { "IMAGETYP '\($0)' is not a frame type we know" } ?? "no IMAGETYP keyword"
            return .failure(SkippedFile(path: header.path, reason: "\(said), and no folder or file name says bias/dark/flat/light"))
        }
        let fileName = URL(fileURLWithPath: header.path).lastPathComponent.lowercased()
        if fileName.hasPrefix("master") { isMaster = true }
        if type == .dark && source != "IMAGETYP", FrameType.classify(path: header.path)?.0 == .darkFlat { type = .darkFlat }
        var values: [String: String] = [:]
        for key in groupBy {
            if let value = metadata.keyword(key)?.stringValue.trimmingCharacters(in: .whitespaces), !value.isEmpty { values[key.uppercased()] = value }
        }
        return .success(CatalogedFrame(
            path: header.path, type: type, isMaster: isMaster, typeSource: source, width: header.width, height: header.height,
            exposure: info.exposure, filter: info.filter, binningX: info.binningX ?? 1, binningY: info.binningY ?? info.binningX ?? 1,
            gain: info.gain, offset: info.offset, temperature: info.temperature, camera: info.camera,
            bayerPattern: info.bayerPattern, object: info.object, dateObs: info.dateObs, groupingValues: values))
    }
}
