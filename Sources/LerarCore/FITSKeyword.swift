import Foundation

/// One FITS header card: name, raw value text as it stands in the card (strings keep their quotes,
/// e.g. `'LIGHT'`), and comment. HISTORY/COMMENT cards have an empty value and their text in `comment`.
public struct FITSKeyword: Sendable, Equatable, Codable {
    public var name: String
    public var value: String
    public var comment: String

    public init(name: String, value: String, comment: String = "") {
        self.name = name.uppercased()
        self.value = value
        self.comment = comment
    }

    /// A string-valued keyword; the value is quoted (and inner quotes doubled) as FITS requires.
    public static func string(_ name: String, _ text: String, comment: String = "") -> FITSKeyword {
        FITSKeyword(name: name, value: "'" + text.replacingOccurrences(of: "'", with: "''") + "'", comment: comment)
    }

    /// A numeric keyword written in the shortest form that reads back to the same Double.
    public static func number(_ name: String, _ number: Double, comment: String = "") -> FITSKeyword {
        let text: String
        if number.rounded() == number && abs(number) < 1e15 {
            text = String(Int64(number))
        } else {
            text = "\(number)".uppercased()
        }
        return FITSKeyword(name: name, value: text, comment: comment)
    }

    /// An integer keyword.
    public static func integer(_ name: String, _ number: Int, comment: String = "") -> FITSKeyword {
        FITSKeyword(name: name, value: String(number), comment: comment)
    }

    /// A logical keyword (T/F).
    public static func boolean(_ name: String, _ flag: Bool, comment: String = "") -> FITSKeyword {
        FITSKeyword(name: name, value: flag ? "T" : "F", comment: comment)
    }

    /// A HISTORY card.
    public static func history(_ text: String) -> FITSKeyword { FITSKeyword(name: "HISTORY", value: "", comment: text) }

    /// Whether this card has free text instead of a value (HISTORY, COMMENT, blank).
    public var isCommentary: Bool { name == "HISTORY" || name == "COMMENT" || name.isEmpty }

    /// Whether the value is a quoted FITS string.
    public var isString: Bool { value.trimmingCharacters(in: .whitespaces).hasPrefix("'") }

    /// The value as text: unquoted (doubled quotes undone, trailing blanks removed) for strings, raw otherwise.
    public var stringValue: String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("'") else { return trimmed }
        var inner = trimmed.dropFirst()
        if inner.hasSuffix("'") { inner = inner.dropLast() }
        var text = inner.replacingOccurrences(of: "''", with: "'")
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }

    /// The value as a number (FITS `D` exponents accepted; quoted numbers too, as some capture programs write them).
    public var doubleValue: Double? {
        let text = stringValue.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "D", with: "E")
            .replacingOccurrences(of: "d", with: "e")
        return Double(text)
    }

    /// The value as an integer, if it is integral.
    public var intValue: Int? {
        if let integer = Int(stringValue.trimmingCharacters(in: .whitespaces)) { return integer }
        guard let double = doubleValue, double.rounded() == double, abs(double) < 9e18 else { return nil }
        return Int(double)
    }

    /// The value as a logical (T/F, also TRUE/FALSE in strings).
    public var boolValue: Bool? {
        switch stringValue.uppercased() {
        case "T", "TRUE": true
        case "F", "FALSE": false
        default: nil
        }
    }
}

/// Keywords that describe the FITS data layout rather than the image; readers drop them and writers regenerate them.
public enum FITSStructuralKeywords {
    static let exact: Set<String> = [
        "SIMPLE", "BITPIX", "NAXIS", "EXTEND", "BZERO", "BSCALE", "XTENSION", "PCOUNT", "GCOUNT", "TFIELDS",
        "THEAP", "CHECKSUM", "DATASUM", "END", "EXTNAME", "BLANK",
    ]
    static let prefixes = ["NAXIS", "TTYPE", "TFORM", "TUNIT", "TNULL", "TSCAL", "TZERO", "TDIM", "ZNAXIS", "ZTILE", "ZNAME", "ZVAL"]
    static let compressionKeywords: Set<String> = [
        "ZIMAGE", "ZBITPIX", "ZCMPTYPE", "ZQUANTIZ", "ZDITHER0", "ZSIMPLE", "ZEXTEND", "ZTENSION", "ZPCOUNT",
        "ZGCOUNT", "ZHECKSUM", "ZDATASUM", "ZBLANK", "ZBLOCKED",
    ]

    /// The two COMMENT cards cfitsio adds to every new file; they are regenerated on write, so readers drop them
    /// (otherwise every round trip would add another pair).
    static let boilerplateComments = [
        "FITS (Flexible Image Transport System) format is defined in 'Astronomy",
        "and Astrophysics', volume 376, page 359; bibcode: 2001A&A...376..359H",
    ]

    /// Whether a card is structural or cfitsio's standard boilerplate comment.
    public static func isStructural(_ keyword: FITSKeyword) -> Bool {
        if keyword.name == "COMMENT" {
            let text = keyword.comment.trimmingCharacters(in: .whitespaces)
            return boilerplateComments.contains(text)
        }
        return contains(keyword.name)
    }

    /// Whether a card with this name is structural.
    public static func contains(_ name: String) -> Bool {
        let upper = name.uppercased()
        if exact.contains(upper) || compressionKeywords.contains(upper) { return true }
        return prefixes.contains { upper.hasPrefix($0) && upper.dropFirst($0.count).allSatisfy(\.isNumber) }
    }
}
