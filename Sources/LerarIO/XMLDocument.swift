import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

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

/// Parses an XISF header. Documents with a DOCTYPE or ENTITY declaration are refused before parsing:
/// XISF has no use for them, and refusing them rules out entity expansion and external entity attacks.
enum XMLHeaderParser {
    static func parse(_ bytes: Data, path: String) throws -> XMLNode {
        var data = bytes
        while data.last == 0 { data.removeLast() } // some writers pad the header with NULs
        for marker in ["<!DOCTYPE", "<!ENTITY"] {
            if data.range(of: Data(marker.utf8)) != nil || data.range(of: Data(marker.lowercased().utf8)) != nil {
                throw ImageIOError.malformed(path: path, detail: "XML header contains a \(marker) declaration, which XISF does not allow")
            }
        }
        let parser = XMLParser(data: data)
        let builder = TreeBuilder()
        parser.delegate = builder
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        guard parser.parse(), let root = builder.root, builder.stack.isEmpty else {
            if builder.failure == nil && parser.parserError == nil {
                throw ImageIOError.malformed(path: path, detail: "XML header does not parse: it ends before its elements are closed")
            }
            let reason = builder.failure ?? parser.parserError?.localizedDescription ?? "unknown XML error"
            throw ImageIOError.malformed(path: path, detail: "XML header does not parse (line \(parser.lineNumber)): \(reason)")
        }
        return root
    }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var root: XMLNode?
        var stack: [XMLNode] = []
        var failure: String?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            let node = XMLNode(name: elementName, attributes: attributes)
            if let parent = stack.last { parent.children.append(node) } else if root == nil { root = node }
            stack.append(node)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string // arrives in fragments
        }

        func parser(_ parser: XMLParser, foundCDATA block: Data) {
            stack.last?.text += String(decoding: block, as: UTF8.self)
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
            failure = failure ?? parseError.localizedDescription
        }

        func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
            failure = "external entity \(name) refused"
            parser.abortParsing()
            return nil
        }
    }
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
