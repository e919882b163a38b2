import Foundation
import LerarCore

/// Times and observing nights from frame headers. A night is named by its evening's date: a frame belongs to the
/// night of (local time − 12 h), so a session from dusk to dawn is one night and dawn flats go with it. Local time is
/// DATE-LOC when the capture program wrote it (N.I.N.A., SGP), else DATE-OBS (UTC) shifted by the site longitude
/// (SITELONG/OBSGEO-L, 15° per hour), else DATE-OBS as it is (right to within the hour for Europe and the
/// Americas; far-east sites without a longitude may see one night split at 12:00 UTC, and then the nearest-in-time
/// rule still pairs lights with their flats).
public enum ObservingNight {
    /// Seconds since 1970 of a FITS date-time (`2024-03-01T21:15:00.123`, optional `Z`; a bare date is midnight).
    public static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "T", maxSplits: 1)
        let date = parts.first.map { $0.split(separator: "-").compactMap { Int($0) } } ?? []
        guard date.count == 3, (1...12).contains(date[1]), (1...31).contains(date[2]) else { return nil }
        var time = 0.0
        if parts.count == 2 {
            var clock = String(parts[1])
            if clock.hasSuffix("Z") { clock.removeLast() }
            if let zone = clock.firstIndex(where: { $0 == "+" || $0 == "-" }) { clock = String(clock[..<zone]) } // offsets are rare; the clock is kept
            let fields = clock.split(separator: ":").map { Double($0) }
            guard !fields.isEmpty, fields.count <= 3, fields.allSatisfy({ $0 != nil }) else { return nil }
            let values = fields.map { $0! }
            guard values[0] < 24, values.count < 2 || values[1] < 60, values.count < 3 || values[2] < 61 else { return nil }
            time = values[0] * 3600 + (values.count > 1 ? values[1] * 60 : 0) + (values.count > 2 ? values[2] : 0)
        }
        return Double(daysFromCivil(year: date[0], month: date[1], day: date[2])) * 86400 + time
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    /// "YYYY-MM-DD" of a day count since 1970.
    static func civilDate(days: Int) -> String {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return String(format: "%04d-%02d-%02d", year, month, day)
    }

    /// The night of a frame ("2024-03-01" for a frame taken in the evening of 1 March or before noon on 2 March).
    public static func night(_ info: AcquisitionInfo) -> String? {
        let local: Double?
        if let text = info.localDate, let seconds = seconds(text) {
            local = seconds
        } else if let text = info.dateObs, let seconds = seconds(text) {
            local = seconds + (info.longitude.map { $0 / 15 * 3600 } ?? 0)
        } else {
            local = nil
        }
        return local.map { civilDate(days: Int((($0 - 43200) / 86400).rounded(.down))) }
    }
}
