import Foundation

/// A minimal XML element tree, enough for XISF headers.
final class XMLNode {
    let name: String
    let attributes: [String: String]
    var children: [XMLNode] = []
    var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    /// Child elements with this local name, in document order.
    func children(named name: String) -> [XMLNode] { children.filter { $0.name == name } }
}

/// XML text escaping for attribute values and character data.
enum XMLEscaping {
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\n": escaped += "&#10;"
            case "\r": escaped += "&#13;"
            case "\t": escaped += "&#9;"
            default:
                // Control characters are not allowed in XML 1.0; drop them rather than write an unreadable header.
                if character.value >= 0x20 { escaped.unicodeScalars.append(character) }
            }
        }
        return escaped
    }
}
