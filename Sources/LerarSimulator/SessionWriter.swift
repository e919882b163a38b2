import Foundation
import LerarCore
import LerarIO

/// Writes a simulated night to disk the way a capture program would, plus `truth/` for scoring later stages.
public struct SessionWriter: Sendable {
    public struct Summary: Sendable, Codable {
        /// Files written per frame type.
        public var counts: [String: Int]
        public var files: [String]
        public var bytes: Int
        public var seconds: Double
    }

    public let plan: SessionPlan
    public let renderer: FrameRenderer

    public init(configuration: SessionConfiguration) {
        plan = SessionPlan(configuration: configuration)
        renderer = FrameRenderer(plan: plan)
    }

    /// FITS keywords of a frame, as N.I.N.A. writes them.
    public func keywords(for frame: PlannedFrame) -> [FITSKeyword] {
        let c = plan.configuration
        var cards: [FITSKeyword] = [
            .string("IMAGETYP", frame.kind.rawValue, comment: "Type of exposure"),
            .number("EXPTIME", frame.exposure, comment: "[s] Exposure duration"),
            .string("DATE-OBS", frame.dateObs, comment: "Time of observation (UTC)"),
            .integer("XBINNING", 1, comment: "X axis binning factor"), .integer("YBINNING", 1, comment: "Y axis binning factor"),
            .integer("GAIN", c.gainSetting, comment: "Sensor gain"), .integer("OFFSET", c.offsetSetting, comment: "Sensor gain offset"),
            .number("EGAIN", c.electronsPerADU, comment: "[e-/ADU] Electrons per A/D unit"),
            .number("XPIXSZ", 3.76, comment: "[um] Pixel X axis size"), .number("YPIXSZ", 3.76, comment: "[um] Pixel Y axis size"),
            .string("INSTRUME", c.camera, comment: "Imaging instrument name"),
            .number("SET-TEMP", c.setTemperature, comment: "[degC] CCD temperature setpoint"),
            .number("CCD-TEMP", frame.sensorTemperature, comment: "[degC] CCD temperature"),
            .string("TELESCOP", "Simulated 80 mm f/6 refractor", comment: "Name of telescope"),
            .number("FOCALLEN", 480, comment: "[mm] Focal length"),
        ]
        if !frame.filter.isEmpty && (frame.kind == .light || frame.kind == .flat) {
            cards.append(.string("FILTER", frame.filter, comment: "Active filter name"))
        }
        if c.oneShotColor {
            cards.append(.string("BAYERPAT", "RGGB", comment: "Sensor Bayer pattern"))
            cards.append(.string("ROWORDER", "TOP-DOWN", comment: "FITS Image Orientation"))
        }
        if frame.kind == .light {
            cards.append(.string("OBJECT", c.panels > 1 ? "\(c.target) Panel \(frame.panel)" : c.target, comment: "Name of the object of interest"))
            if c.panels > 1 { cards.append(.integer("PANEL", frame.panel, comment: "Mosaic panel")) }
        }
        cards.append(.history("Simulated by \(LerarVersion.application), seed \(c.seed)"))
        return cards
    }

    /// Renders and writes every frame (in parallel, deterministic per seed), then the truth files.
    public func write(to folder: String, overwrite: Bool = false, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> Summary {
        let start = Date()
        let frames = plan.frames
        let errors = FirstError()
        let done = Tally()
        let options = ImageWriteOptions(sampleFormat: .uint16, overwrite: overwrite)
        var folders = Set(frames.map { URL(fileURLWithPath: folder + "/" + $0.relativePath).deletingLastPathComponent().path })
        folders.insert(folder + "/truth")
        for path in folders { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        let renderer = self.renderer
        let cards = frames.map(keywords(for:))
        Parallel.forEach(iterations: frames.count) { index in
            guard !errors.failed else { return }
            let frame = frames[index]
            let adu = renderer.render(frame)
            var image = Image(width: renderer.configuration.width, height: renderer.configuration.height,
                              samples: adu.map { $0 / 65535 }, metadata: ImageMetadata(keywords: cards[index]))
            image.sourceSampleFormat = .uint16
            do {
                if renderer.configuration.format == "dng" {
                    // A DSLR's raw file: no FITS keywords, only what a camera records (EXIF).
                    let c = renderer.configuration
                    let camera = DNGWriter.Camera(exposure: frame.exposure, iso: c.gainSetting, date: frame.dateObs, blackLevel: Int(c.biasADU), pattern: "RGGB")
                    try DNGWriter.write(adu: adu, width: c.width, height: c.height, camera: camera, to: folder + "/" + frame.relativePath, overwrite: overwrite)
                } else {
                    try ImageFile.write(image, to: folder + "/" + frame.relativePath, options: options)
                }
            } catch { errors.record(error) }
            progress?(done.next(), frames.count)
        }
        if let error = errors.first { throw error }
        try TruthWriter(writer: self).write(to: folder + "/truth", overwrite: overwrite)
        var counts: [String: Int] = [:]
        for frame in frames { counts[frame.kind.rawValue, default: 0] += 1 }
        let bytes = frames.reduce(0) { total, frame in
            total + (((try? FileManager.default.attributesOfItem(atPath: folder + "/" + frame.relativePath))?[.size] as? Int) ?? 0)
        }
        return Summary(counts: counts, files: frames.map(\.relativePath), bytes: bytes, seconds: Date().timeIntervalSince(start))
    }
}
