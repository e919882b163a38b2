import Foundation

/// Grouping keyword values written into folder and file names, as WBPP reads them: `NIGHT_1`, `SESSION-2`,
/// `PANEL_3`, `FILTER_Ha` — the keyword, then `_` or `-`, then the value up to the next `_`, `/` or the extension.
/// The deepest folder or the file name wins when several say it.
public enum PathKeywords {
    /// Keywords that name an observing session when found in a path (they split flats per night by default).
    public static let sessionKeys = ["NIGHT", "SESSION"]

    /// Values of `keys` (upper-cased) found in `path`.
    public static func values(in path: String, keys: [String]) -> [String: String] {
        guard !keys.isEmpty else { return [:] }
        var components = path.split(separator: "/").map(String.init)
        if let last = components.last, let dot = last.lastIndex(of: "."), dot != last.startIndex {
            components[components.count - 1] = String(last[..<dot])
        }
        var found: [String: String] = [:]
        for component in components {
            let upper = component.uppercased()
            for key in keys.map({ $0.uppercased() }) {
                var search = upper.startIndex
                while let range = upper.range(of: key, range: search..<upper.endIndex) {
                    search = range.upperBound
                    // The keyword must start a word and be followed by a separator and a value.
                    if range.lowerBound != upper.startIndex, upper[upper.index(before: range.lowerBound)].isLetter || upper[upper.index(before: range.lowerBound)].isNumber { continue }
                    guard range.upperBound < upper.endIndex, "_-".contains(upper[range.upperBound]) else { continue }
                    let valueStart = component.index(after: range.upperBound)
                    let value = component[valueStart...].prefix { $0 != "_" && $0 != " " }
                    if !value.isEmpty { found[key] = String(value) }
                }
            }
        }
        return found
    }
}
