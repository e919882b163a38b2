import Foundation
import LerarCore
import LerarIntegration
import LerarIO

/// Builds master bias, darks, dark-flats and flats for the groups of a link plan, with WBPP-like defaults
/// (bias/darks: average, no normalization, winsorized sigma; flats: calibrated by their dark-flat or bias, then
/// average with multiplicative normalization) and WBPP-like names (`masterDark_BIN-1_GAIN-100_EXPTIME-300s.xisf`).
public struct MasterBuilder: Sendable {
    public struct Built: Sendable, Codable {
        public var group: String
        public var path: String
        public var frames: Int
        public var rejection: String
    }

    public let plan: LinkPlan
    public let outputFolder: String
    public var overwrite = false
    /// Override the WBPP-like defaults (nil keeps them).
    public var biasDarkParameters = IntegrationParameters.biasOrDark, flatParameters = IntegrationParameters.flat
    /// Subtract each frame's overscan and trim it first (see `OverscanCorrection`).
    public var overscan = CalibrationParameters().overscan, overscanSmoothing = CalibrationParameters().overscanSmoothing

    public init(plan: LinkPlan, outputFolder: String) {
        self.plan = plan
        self.outputFolder = outputFolder
    }

    /// File name of a group's master: the shortest WBPP-like name no other group of its type shares.
    public static func masterName(_ group: FrameGroup, among groups: [FrameGroup]) -> String {
        let others = groups.filter { $0.type == group.type && $0.id != group.id && !$0.isMaster }
        for detail in 0...2 {
            let mine = masterNameParts(group, detail)
            if !others.contains(where: { masterNameParts($0, detail) == mine }) { return mine.joined(separator: "_") + ".xisf" }
        }
        return (masterNameParts(group, 2) + [LinkFormatting.safe(group.id)]).joined(separator: "_") + ".xisf"
    }

    /// Name parts with more detail as `detail` grows (0: binning, gain, exposure, filter; 1: + offset, night; 2: + temperature).
    static func masterNameParts(_ group: FrameGroup, _ detail: Int) -> [String] {
        var p = ["master" + (group.type == .darkFlat ? "DarkFlat" : group.type.rawValue.capitalized), "BIN-\(group.binning.split(separator: "x").first ?? "1")"]
        if let gain = group.gain { p.append("GAIN-\(LinkFormatting.number(gain))") }
        if detail >= 1, let offset = group.offset { p.append("OFFSET-\(LinkFormatting.number(offset))") }
        if group.type != .bias, let exposure = group.exposure { p.append("EXPTIME-\(LinkFormatting.number(exposure))s") }
        if group.type == .flat { p.append("FILTER-\(LinkFormatting.safe(group.filter ?? "NoFilter"))") }
        if detail >= 2, let t = group.temperature { p.append("TEMP-\(LinkFormatting.number(t.rounded()))C") }
        for (key, value) in group.groupingValues.sorted(by: { $0.key < $1.key }) { p.append("\(key)-\(LinkFormatting.safe(value))") }
        if detail >= 1, let night = group.night { p.append(night.contains("_") ? LinkFormatting.safe(night) : "NIGHT-\(LinkFormatting.safe(night))") }
        return p
    }

    /// Builds every calibration master (existing masters are used as they are). Returns group id → master path.
    public func build(progress: (@Sendable (String) -> Void)? = nil) throws -> [String: Built] {
        var built: [String: Built] = [:]
        for group in Self.buildOrder(plan) {
            if !group.isMaster { progress?("building master for \(group.id) (\(group.members.count) frames)") }
            built[group.id] = try build(group, built: built)
        }
        return built
    }

    /// Calibration groups in the order their masters must be built (flats after the darks and bias they need).
    public static func buildOrder(_ plan: LinkPlan) -> [FrameGroup] {
        [FrameType.bias, .dark, .darkFlat, .flat].flatMap { type in plan.groups.filter { $0.type == type } }
    }

    /// The master group a flat group is calibrated with (its dark-flat, else the bias), if any.
    public func flatCalibrationGroup(_ group: FrameGroup) -> String? {
        plan.flats.first { $0.flatGroup == group.id }?.calibration.group
    }

    /// Prefix of the temporary folders masters are prepared in; a run removes any left by an earlier one killed mid-way.
    public static let temporaryPrefix = ".lerar-tmp-"

    /// Builds one group's master; `built` must hold the master that calibrates it when it is a flat group.
    public func build(_ group: FrameGroup, built: [String: Built]) throws -> Built {
        if group.isMaster { return Built(group: group.id, path: group.members[0], frames: 1, rejection: "existing master") }
        try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
        let path = (outputFolder as NSString).appendingPathComponent(Self.masterName(group, among: plan.groups))
        var parameters = group.type == .flat ? flatParameters : biasDarkParameters
        if group.members.count < 3 { parameters.rejection = .none }
        var inputs = group.members, source = ImageSource.files
        var temporary: String?
        let subtracting = group.type == .flat ? flatCalibrationGroup(group).flatMap { built[$0]?.path } : nil
        let holding = parameters.maxMemory / 4 * 3
        if let subtracting, !overscan, try !fitInMemory(group.members, holding: holding), readByBands(group.members) {
            // Too many to hold: each flat is calibrated as the integration reads it (whole for its estimates, then by
            // bands), in parallel, instead of being written calibrated and read back twice. Compressed and raw
            // flats, which a band reader decodes whole and keeps, are still written calibrated.
            let master = try ImageFile.read(subtracting)
            source = .files(subtracting: master, masterPath: subtracting)
            parameters.maxMemory = max(0, parameters.maxMemory - master.samples.count * MemoryLayout<Float>.stride)  // it stays resident
        } else if subtracting != nil || overscan {
            let folder = (outputFolder as NSString).appendingPathComponent(Self.temporaryPrefix + UUID().uuidString)
            let prepared = try prepare(group.members, subtracting: subtracting, into: folder, holding: holding)
            (inputs, source) = (prepared.paths, prepared.source)
            if prepared.wroteFiles { temporary = folder }
        }
        defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }
        let result = try IntegrationEngine(parameters: parameters).integrate(paths: inputs, source: source)
        var image = result.image
        setMasterKeywords(&image, group: group)
        try ImageFile.write(image, to: path, options: ImageWriteOptions(sampleFormat: .float32, overwrite: overwrite))
        return Built(group: group.id, path: path, frames: group.members.count, rejection: result.rejection.rawValue)
    }

    /// Whether `frames` (of the first one's size) all fit in `holding` bytes as Float32 images.
    func fitInMemory(_ frames: [String], holding: Int) throws -> Bool {
        guard let first = frames.first else { return true }
        let header = try ImageFile.readHeader(first)
        return header.width * header.height * header.channelCount * MemoryLayout<Float>.stride * frames.count <= holding
    }

    /// Whether every frame can be read by bands without being decoded whole (uncompressed FITS or planar XISF); a
    /// file that cannot be opened answers no, so the path that reads it whole reports it.
    func readByBands(_ frames: [String]) -> Bool {
        frames.allSatisfy { path in (try? ImageRowReader(path: path))?.readsFromMemory == false }
    }

    /// Each frame with its overscan subtracted and trimmed (when asked) and a master (dark-flat or bias) subtracted
    /// (for flats): held in memory under names in `folder` when all of them fit in `holding` bytes (the integration
    /// then reads them once more from memory, not from files written and read back), else Float32 files there.
    func prepare(_ frames: [String], subtracting masterPath: String?, into folder: String,
                 holding: Int) throws -> (paths: [String], source: ImageSource, wroteFiles: Bool) {
        let master = try masterPath.map { MasterSubtraction(master: try ImageFile.read($0), path: $0) }
        var held: [String: Image] = [:], heldBytes = 0, wroteFiles = false
        var paths: [String] = []
        for (index, path) in frames.enumerated() {
            var frame = try ImageFile.read(path)
            if overscan && OverscanCorrection.applies(to: frame.metadata) { frame = try OverscanCorrection.apply(frame, smoothing: overscanSmoothing) }
            try master?.apply(to: &frame, path: path)
            let out = (folder as NSString).appendingPathComponent(String(format: "frame_%05d.xisf", index))
            paths.append(out)
            let bytes = frame.samples.count * MemoryLayout<Float>.stride
            if index == 0, bytes * frames.count <= holding {
                heldBytes = bytes * frames.count
            }
            if heldBytes > 0 {
                held[out] = frame
            } else {
                if !wroteFiles { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
                wroteFiles = true
                try ImageFile.write(frame, to: out, options: ImageWriteOptions(sampleFormat: .float32))
            }
        }
        let images = held
        return (paths, heldBytes > 0 ? ImageSource { images[$0] } : .files, wroteFiles)
    }

    func setMasterKeywords(_ image: inout Image, group: FrameGroup) {
        let (imageType, xisfType): (String, String) = switch group.type {
        case .bias: ("Master Bias", "MasterBias")
        case .dark: ("Master Dark", "MasterDark")
        case .darkFlat: ("Master Dark Flat", "MasterDark")
        case .flat: ("Master Flat", "MasterFlat")
        case .light: ("Master Light", "MasterLight")
        }
        image.metadata.setKeyword(.string("IMAGETYP", imageType, comment: "Type of image"))
        image.metadata.imageType = xisfType
        if let exposure = group.exposure { image.metadata.setKeyword(.number("EXPTIME", exposure, comment: "[s] Exposure of each integrated frame")) }
        image.metadata.addHistory("\(LerarVersion.application) master of group \(group.id)")
    }
}
