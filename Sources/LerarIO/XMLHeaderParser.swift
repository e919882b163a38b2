import Foundation

/// Parses an XISF header: a small, non-validating XML 1.0 parser of our own. It replaces FoundationXML, which traps
/// on invalid UTF-8 in names and recurses once per nesting level. Here the bytes must be valid UTF-8, nesting is
/// limited to `maximumDepth`, the parse is iterative, and entities are never resolved: only the five predefined
/// ones and character references are read, and a document with a DOCTYPE or an entity reference is refused.
enum XMLHeaderParser {
    /// Deepest element nesting accepted. XISF headers nest 4–5 levels; PCL has no such limit, but nothing real needs more.
    static let maximumDepth = 256

    static func parse(_ bytes: Data, path: String) throws -> XMLNode {
        var data = [UInt8](bytes)
        while data.last == 0 { data.removeLast() } // some writers pad the header with NULs
        var parser = Parser(bytes: data, path: path)
        return try parser.document()
    }

    private struct Parser {
        let bytes: [UInt8]
        let path: String
        var index = 0
        var stack: [XMLNode] = []
        var root: XMLNode?

        init(bytes: [UInt8], path: String) {
            self.bytes = bytes
            self.path = path
        }

        func fail(_ detail: String) -> ImageIOError {
            let line = 1 + bytes[..<min(index, bytes.count)].reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            return .malformed(path: path, detail: "XML header does not parse (line \(line)): \(detail)")
        }

        mutating func document() throws -> XMLNode {
            if String(validating: bytes, as: UTF8.self) == nil {
                throw ImageIOError.malformed(path: path, detail: "XML header is not valid UTF-8")
            }
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 } // byte-order mark
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "<") {
                    try markup()
                } else {
                    let text = try characterData()
                    if let open = stack.last {
                        open.text += text
                    } else if !text.allSatisfy(\.isWhitespace) {
                        throw fail("text outside the root element")
                    }
                }
            }
            guard stack.isEmpty else { throw fail("it ends before <\(stack.last!.name)> is closed") }
            guard let root else { throw fail("no root element") }
            return root
        }

        func hasPrefix(_ text: String) -> Bool {
            let pattern = Array(text.utf8)
            return index + pattern.count <= bytes.count && bytes[index..<(index + pattern.count)].elementsEqual(pattern)
        }

        /// Moves past `terminator`, returning the bytes before it.
        mutating func skip(past terminator: String, what: String) throws -> ArraySlice<UInt8> {
            let pattern = Array(terminator.utf8)
            var position = index
            while position + pattern.count <= bytes.count {
                if bytes[position] == pattern[0] && bytes[position..<(position + pattern.count)].elementsEqual(pattern) {
                    let content = bytes[index..<position]
                    index = position + pattern.count
                    return content
                }
                position += 1
            }
            throw fail("unterminated \(what)")
        }

        mutating func markup() throws {
            if hasPrefix("<!--") {
                index += 4
                _ = try skip(past: "-->", what: "comment")
            } else if hasPrefix("<![CDATA[") {
                index += 9
                let content = try skip(past: "]]>", what: "CDATA section")
                guard let open = stack.last else { throw fail("CDATA outside the root element") }
                open.text += String(decoding: content, as: UTF8.self)
            } else if hasPrefix("<!") {
                // DOCTYPE (and with it ENTITY) declarations: XISF has no use for them, and refusing them rules out
                // entity expansion and external entities.
                throw ImageIOError.malformed(path: path, detail: "XML header contains a <!DOCTYPE or <!ENTITY declaration, which XISF does not allow")
            } else if hasPrefix("<?") {
                index += 2
                _ = try skip(past: "?>", what: "processing instruction")
            } else if hasPrefix("</") {
                index += 2
                let name = try self.name()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { throw fail("malformed end tag </\(name)") }
                index += 1
                guard let open = stack.popLast() else { throw fail("end tag </\(name)> without a start tag") }
                guard open.name == Self.localName(name) else { throw fail("</\(name)> closes <\(open.name)>") }
            } else {
                try startTag()
            }
        }

        mutating func startTag() throws {
            index += 1
            let name = try self.name()
            var attributes: [String: String] = [:]
            while true {
                let hadSpace = skipSpace()
                guard index < bytes.count else { throw fail("unterminated start tag <\(name)") }
                if bytes[index] == UInt8(ascii: ">") || hasPrefix("/>") { break }
                guard hadSpace else { throw fail("attributes of <\(name)> must be separated by spaces") }
                let attribute = try self.name()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { throw fail("attribute \(attribute) of <\(name)> has no value") }
                index += 1
                skipSpace()
                let value = try attributeValue()
                if attribute == "xmlns" || attribute.hasPrefix("xmlns:") { continue }
                let local = Self.localName(attribute)
                guard attributes[local] == nil else { throw fail("attribute \(attribute) repeated in <\(name)>") }
                attributes[local] = value
            }
            let selfClosing = hasPrefix("/>")
            index += selfClosing ? 2 : 1
            guard stack.count < maximumDepth else { throw fail("elements nest deeper than \(maximumDepth) levels") }
            let node = XMLNode(name: Self.localName(name), attributes: attributes)
            if let parent = stack.last {
                parent.children.append(node)
            } else {
                guard root == nil else { throw fail("a second root element <\(name)>") }
                root = node
            }
            if !selfClosing { stack.append(node) }
        }

        /// The part of a qualified name after its prefix (namespaces are not resolved; XISF uses one default namespace).
        static func localName(_ name: String) -> String {
            guard let colon = name.lastIndex(of: ":") else { return name }
            return String(name[name.index(after: colon)...])
        }

        @discardableResult mutating func skipSpace() -> Bool {
            let start = index
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
            return index > start
        }

        /// An XML name: a letter, '_' or ':' (or any non-ASCII character), then also digits, '-' and '.'.
        mutating func name() throws -> String {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                let isStart = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x3A || byte >= 0x80
                let isLater = (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x2E
                guard isStart || (index > start && isLater) else { break }
                index += 1
            }
            guard index > start else { throw fail("a name was expected") }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func attributeValue() throws -> String {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                throw fail("attribute values must be quoted")
            }
            let quote = bytes[index]
            index += 1
            var value: [UInt8] = []
            while true {
                guard index < bytes.count else { throw fail("unterminated attribute value") }
                let byte = bytes[index]
                if byte == quote { index += 1; break }
                switch byte {
                case UInt8(ascii: "<"): throw fail("'<' in an attribute value")
                case UInt8(ascii: "&"): value += try reference()
                case 0x09, 0x0A, 0x0D: value.append(0x20); index += 1 // attribute-value normalization (XML 1.0 §3.3.3)
                default: value.append(byte); index += 1
                }
            }
            return String(decoding: value, as: UTF8.self)
        }

        mutating func characterData() throws -> String {
            var text: [UInt8] = []
            while index < bytes.count, bytes[index] != UInt8(ascii: "<") {
                if bytes[index] == UInt8(ascii: "&") { text += try reference() } else { text.append(bytes[index]); index += 1 }
            }
            return String(decoding: text, as: UTF8.self)
        }

        /// A predefined entity or a character reference; any other entity is refused, never resolved.
        mutating func reference() throws -> [UInt8] {
            let start = index
            index += 1
            var end = index
            while end < bytes.count, end - index < 12, bytes[end] != UInt8(ascii: ";") { end += 1 }
            guard end < bytes.count, bytes[end] == UInt8(ascii: ";") else { index = start; throw fail("'&' that starts no reference") }
            let name = String(decoding: bytes[index..<end], as: UTF8.self)
            index = end + 1
            switch name {
            case "lt": return [UInt8(ascii: "<")]
            case "gt": return [UInt8(ascii: ">")]
            case "amp": return [UInt8(ascii: "&")]
            case "quot": return [UInt8(ascii: "\"")]
            case "apos": return [UInt8(ascii: "'")]
            default:
                guard name.hasPrefix("#") else { throw fail("entity reference &\(name); refused (XML entities are never resolved)") }
                let digits = name.dropFirst()
                let code = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
                guard let code, code != 0, let scalar = Unicode.Scalar(code) else { throw fail("invalid character reference &\(name);") }
                return Array(String(Character(scalar)).utf8)
            }
        }
    }
}
