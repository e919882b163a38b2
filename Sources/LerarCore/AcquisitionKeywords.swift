import Foundation

/// One acquisition concept and the FITS keywords that carry it: the primary key we write,
/// then read aliases in order of preference (after Siril's fits_keywords.c primary/secondary table).
public struct KeywordAlias: Sendable, Equatable {
    public let concept: String
    public let primary: String
    public let aliases: [String]

    /// Every key to read, primary first.
    public var readKeys: [String] { [primary] + aliases }
}

/// The alias table for acquisition metadata; the single place that says which keyword means what.
public enum AcquisitionKeywords {
    public static let imageType = KeywordAlias(concept: "frame type", primary: "IMAGETYP", aliases: ["FRAMETYP", "FRAME"])
    /// Exposure: EXPOSURE is read in seconds unless its comment says milliseconds (older capture programs);
    /// EXPOINUS is microseconds (Meade/Envisage).
    public static let exposure = KeywordAlias(concept: "exposure (s)", primary: "EXPTIME", aliases: ["EXPOSURE", "EXPOINUS"])
    public static let filter = KeywordAlias(concept: "filter", primary: "FILTER", aliases: ["FILTER1", "FILTNAME"])
    public static let xBinning = KeywordAlias(concept: "binning X", primary: "XBINNING", aliases: ["BINNING", "CCDXBIN"])
    public static let yBinning = KeywordAlias(concept: "binning Y", primary: "YBINNING", aliases: ["BINNING", "CCDYBIN"])
    /// Camera gain setting (not e-/ADU, which is EGAIN).
    public static let gain = KeywordAlias(concept: "gain", primary: "GAIN", aliases: ["ISOSPEED"])
    public static let offset = KeywordAlias(concept: "offset", primary: "OFFSET", aliases: ["BLKLEVEL"])
    /// Sensor temperature: the set point is preferred because it is what groups frames; the measured one is the fallback.
    public static let temperature = KeywordAlias(concept: "sensor temperature (°C)", primary: "SET-TEMP", aliases: ["CCD-TEMP", "CCD_TEMP", "TEMPERAT"])
    public static let camera = KeywordAlias(concept: "camera", primary: "INSTRUME", aliases: ["CAMERA"])
    public static let bayerPattern = KeywordAlias(concept: "Bayer pattern", primary: "BAYERPAT", aliases: ["COLORTYP"])
    public static let electronsPerADU = KeywordAlias(concept: "e-/ADU", primary: "EGAIN", aliases: [])
    public static let object = KeywordAlias(concept: "object", primary: "OBJECT", aliases: [])
    public static let dateObs = KeywordAlias(concept: "start time", primary: "DATE-OBS", aliases: ["DATE"])
    /// Local civil time of the start (N.I.N.A., SGP), which tells the observing night directly.
    public static let localDate = KeywordAlias(concept: "local start time", primary: "DATE-LOC", aliases: ["LOCALTIM"])
    /// Site longitude, degrees east (negative west), as a number or sexagesimal text.
    public static let longitude = KeywordAlias(concept: "site longitude (° east)", primary: "SITELONG", aliases: ["OBSGEO-L", "LONG-OBS", "LONGITUD"])
    public static let rowOrder = KeywordAlias(concept: "row order", primary: "ROWORDER", aliases: [])
    /// Pedestal added to the data: PixInsight and Lerar write it positive; MaxIm DL writes the negative ("correction
    /// to add"), so its magnitude is what was added.
    public static let pedestal = KeywordAlias(concept: "pedestal (ADU)", primary: "PEDESTAL", aliases: [])
    /// Calibration already applied (MaxIm DL, AstroArt): letters B, D, F for bias, dark, flat.
    public static let calibrationStatus = KeywordAlias(concept: "calibration applied", primary: "CALSTAT", aliases: [])

    /// Every entry of the table.
    public static let all: [KeywordAlias] = [
        imageType, exposure, filter, xBinning, yBinning, gain, offset, temperature, camera, bayerPattern,
        electronsPerADU, object, dateObs, localDate, longitude, rowOrder, pedestal, calibrationStatus,
    ]
}

/// Acquisition facts of one frame, read through `AcquisitionKeywords`.
public struct AcquisitionInfo: Sendable, Equatable, Codable {
    public var imageType: String?
    /// Exposure in seconds.
    public var exposure: Double?
    public var filter: String?
    public var binningX: Int?
    public var binningY: Int?
    public var gain: Double?
    public var offset: Double?
    /// Sensor temperature in °C (set point, else measured).
    public var temperature: Double?
    public var camera: String?
    public var bayerPattern: String?
    public var object: String?
    public var dateObs: String?
    /// DATE-LOC: local civil start time.
    public var localDate: String?
    /// Site longitude, degrees east.
    public var longitude: Double?
    /// Pedestal the data carries, ADU (≥ 0; MaxIm's negative convention undone).
    public var pedestal: Double?

    public init(metadata: ImageMetadata) {
        func card(_ alias: KeywordAlias) -> FITSKeyword? {
            for key in alias.readKeys { if let found = metadata.keyword(key) { return found } }
            return nil
        }
        func text(_ alias: KeywordAlias) -> String? {
            guard let value = card(alias)?.stringValue, !value.isEmpty else { return nil }
            return value
        }
        imageType = text(AcquisitionKeywords.imageType) ?? metadata.imageType
        exposure = Self.exposure(card(AcquisitionKeywords.exposure))
        filter = text(AcquisitionKeywords.filter)
        binningX = card(AcquisitionKeywords.xBinning)?.intValue
        binningY = card(AcquisitionKeywords.yBinning)?.intValue ?? binningX
        gain = card(AcquisitionKeywords.gain)?.doubleValue
        offset = card(AcquisitionKeywords.offset)?.doubleValue
        temperature = card(AcquisitionKeywords.temperature)?.doubleValue
        camera = text(AcquisitionKeywords.camera)
        // BAYERPAT = 'NONE' (Siril, some drivers) marks a mono frame.
        bayerPattern = text(AcquisitionKeywords.bayerPattern).flatMap { $0.trimmingCharacters(in: .whitespaces).uppercased() == "NONE" ? nil : $0 }
        object = text(AcquisitionKeywords.object)
        dateObs = text(AcquisitionKeywords.dateObs)
        localDate = text(AcquisitionKeywords.localDate)
        longitude = card(AcquisitionKeywords.longitude).flatMap { $0.doubleValue ?? Self.sexagesimal($0.stringValue) }
        pedestal = card(AcquisitionKeywords.pedestal)?.doubleValue.map(abs)
    }

    /// Seconds from an exposure card, by its name and, for EXPOSURE, the unit its comment names.
    static func exposure(_ card: FITSKeyword?) -> Double? {
        guard let card, let value = card.doubleValue else { return nil }
        switch card.name {
        case "EXPOINUS": return value / 1_000_000
        case "EXPOSURE":
            let comment = card.comment.lowercased()
            let milliseconds = comment.contains("millisec") || comment.contains("[ms]") || comment.contains("(ms)") || comment.hasSuffix(" ms") || comment.hasPrefix("ms ")
            return milliseconds ? value / 1000 : value
        default: return value
        }
    }

    /// Degrees from "±DDD MM SS.s" or "±DDD:MM:SS" text.
    static func sexagesimal(_ text: String) -> Double? {
        let parts = text.split { $0 == " " || $0 == ":" }.compactMap { Double($0) }
        guard let degrees = parts.first, parts.count <= 3 else { return nil }
        let sign: Double = text.trimmingCharacters(in: .whitespaces).hasPrefix("-") ? -1 : 1
        let minutes = parts.count > 1 ? parts[1] : 0, seconds = parts.count > 2 ? parts[2] : 0
        return sign * (abs(degrees) + minutes / 60 + seconds / 3600)
    }
}
