import Foundation
import LerarCore

/// Reads the structural cards of a FITS file's headers ourselves, before cfitsio sees the file, and refuses what
/// would make cfitsio divide by zero or allocate from a lie: tile-compression parameters (ZTILEn = 0, a RICE block
/// size of 0, a BYTEPIX outside 1/2/4/8, unknown algorithms), axis lengths that overflow, and data that would run
/// past the end of the file. It walks the HDUs up to the first one holding an image, as the reader does.
enum FITSStructureCheck {
    /// Header blocks one HDU may have (36 cards each): far beyond any real file, small enough to stop a runaway scan.
    static let maximumHeaderBlocks = 2000
    /// HDUs walked before giving up on finding an image.
    static let maximumHDUs = 1000
    /// Tile compressions Lerar decodes itself (`FITSTileDecoder`); PLIO_1 and HCOMPRESS_1 are refused.
    static let compressionAlgorithms: Set<String> = ["RICE_1", "RICE_ONE", "GZIP_1", "GZIP_2", "NOCOMPRESS"]

    /// Where the image is: its HDU's cards, and its data bytes.
    struct Layout {
        var hdu: Int
        var header: Header
        var dataStart: Int
        var dataBytes: Int
        var compressed: Bool { header.logical("ZIMAGE") }
    }

    /// One header: the structural cards' values by name (strings unquoted), and every card as a keyword (for images
    /// Lerar reads itself, those in extensions).
    struct Header {
        var values: [String: String] = [:]
        /// Every card's 80 bytes, in order; parsed into keywords only when asked (most headers never are).
        var cardBytes: [UInt8] = []
        /// Every card as a keyword, as cfitsio's ffgkyn would give it.
        var cards: [FITSKeyword] {
            stride(from: 0, to: cardBytes.count, by: 80).compactMap { FITSStructureCheck.keyword(cardBytes[$0..<($0 + 80)]) }
        }
        func integer(_ key: String) -> Int? { values[key].flatMap { Int($0) ?? Double($0).flatMap { $0.rounded() == $0 && abs($0) < 9e18 ? Int($0) : nil } } }
        /// A logical card's value, read as leniently as cfitsio does (only its first character counts).
        func logical(_ key: String) -> Bool { values[key]?.first == "T" }
    }

    /// Checks `path` (of `size` bytes) and returns where its image is (nil when no HDU holds one); throws a
    /// malformed/unsupported/tooLarge error naming the problem.
    @discardableResult
    static func check(path: String, size: Int) throws -> Layout? {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ImageIOError.cannotOpen(path: path, reason: "cannot be opened for reading") }
        defer { try? handle.close() }
        var offset = 0
        for hdu in 0..<maximumHDUs {
            guard offset + 2880 <= size else {
                if hdu == 0 { throw ImageIOError.truncated(path: path, detail: "no complete header block") }
                return nil // no further HDU: the reader reports "no image HDU"
            }
            let (header, dataStart) = try readHeader(handle, at: offset, size: size, path: path, hdu: hdu)
            let dataBytes = try dataSize(header, path: path, hdu: hdu)
            if let kind = header.values["XTENSION"], kind == "BINTABLE" || kind == "TABLE" {
                // cfitsio sizes its column arrays from TFIELDS; NAXIS is always 2 for tables.
                guard let fields = header.integer("TFIELDS"), (0...999).contains(fields), header.integer("NAXIS") == 2 else {
                    throw ImageIOError.malformed(path: path, detail: "table HDU \(hdu + 1) has no valid TFIELDS or NAXIS")
                }
            }
            if header.logical("ZIMAGE") { try checkCompression(header, path: path, hdu: hdu) }
            let naxis = header.integer("NAXIS") ?? 0
            let holdsImage = header.logical("ZIMAGE") || ((hdu == 0 || header.values["XTENSION"] == "IMAGE") && naxis > 0)
            let blocks = (dataBytes / 2880 + (dataBytes % 2880 == 0 ? 0 : 1)).multipliedReportingOverflow(by: 2880)
            let end = dataStart.addingReportingOverflow(blocks.partialValue)
            guard !blocks.overflow, !end.overflow else { throw ImageIOError.tooLarge(path: path, detail: "HDU \(hdu + 1) claims an impossible data size") }
            if holdsImage {
                // The last block may lack its padding; anything more missing is a truncated file.
                guard dataBytes <= size - dataStart else {
                    throw ImageIOError.truncated(path: path, detail: "HDU \(hdu + 1) needs \(dataBytes) data bytes from byte \(dataStart), file has \(size)")
                }
                return Layout(hdu: hdu, header: header, dataStart: dataStart, dataBytes: dataBytes)
            }
            offset = end.partialValue
        }
        throw ImageIOError.malformed(path: path, detail: "no image among the first \(maximumHDUs) HDUs")
    }

    /// The header at `offset` and where its data starts.
    static func readHeader(_ handle: FileHandle, at offset: Int, size: Int, path: String, hdu: Int) throws -> (Header, Int) {
        var header = Header()
        var position = offset
        for _ in 0..<maximumHeaderBlocks {
            guard position + 2880 <= size else { throw ImageIOError.truncated(path: path, detail: "header of HDU \(hdu + 1) has no END card before the end of the file") }
            try handle.seek(toOffset: UInt64(position))
            guard let block = try handle.read(upToCount: 2880), block.count == 2880 else {
                throw ImageIOError.truncated(path: path, detail: "header of HDU \(hdu + 1) cut short")
            }
            position += 2880
            let bytes = [UInt8](block)
            for card in stride(from: 0, to: 2880, by: 80) {
                // The name as cfitsio takes it: up to the first blank ("ZIMAGE (=" is ZIMAGE to cfitsio).
                var end = card
                while end < card + 8 && bytes[end] != 0x20 { end += 1 }
                let name = bytes[card..<end]
                if name.elementsEqual("END".utf8) { return (header, position) }
                header.cardBytes.append(contentsOf: bytes[card..<(card + 80)])
                // Only the structural keywords matter here (axes, sizes, table columns, compression parameters).
                guard let first = name.first, "BNPGXZST".utf8.contains(first) else { continue }
                // The value indicator in column 9, or — as cfitsio also accepts — the first thing after the name.
                var indicator = card + 8
                if bytes[indicator] != UInt8(ascii: "=") {
                    indicator = end
                    while indicator < card + 80 && bytes[indicator] == 0x20 { indicator += 1 }
                    guard indicator < card + 80, bytes[indicator] == UInt8(ascii: "=") else { continue }
                }
                let key = String(decoding: name, as: UTF8.self)
                let text = value(of: bytes[(indicator + 1)..<(card + 80)]) // right after '=': cfitsio reads "=0" as a value
                if let earlier = header.values[key] {
                    // cfitsio finds a keyword by searching from where it last read, so which copy it sees varies.
                    guard earlier == text else {
                        throw ImageIOError.malformed(path: path, detail: "header of HDU \(hdu + 1) gives \(key) twice (\(earlier) and \(text))")
                    }
                } else {
                    header.values[key] = text
                }
            }
        }
        throw ImageIOError.malformed(path: path, detail: "header of HDU \(hdu + 1) has more than \(maximumHeaderBlocks) blocks without an END card")
    }

    /// A card as a keyword, as cfitsio's ffgkyn gives it: commentary cards (HISTORY, COMMENT, no value indicator) with
    /// their text as the comment; value cards with the value as written (strings keep their quotes) and the comment.
    static func keyword(_ card: ArraySlice<UInt8>) -> FITSKeyword? {
        let text = String(decoding: card.map { (32...126).contains($0) ? $0 : 0x3F }, as: UTF8.self)
        let name = String(text.prefix(8)).trimmingCharacters(in: .whitespaces)
        let rest = text.dropFirst(8)
        guard rest.hasPrefix("= "), name != "HISTORY", name != "COMMENT", !name.isEmpty else {
            var comment = String(rest)
            while comment.last == " " { comment.removeLast() }
            if name.isEmpty && comment.isEmpty { return nil }
            return FITSKeyword(name: name, value: "", comment: comment)
        }
        let field = Array(rest.dropFirst(2))
        var index = 0
        while index < field.count && field[index] == " " { index += 1 }
        var value = "", comment = ""
        if index < field.count && field[index] == "'" {
            var end = index + 1
            while end < field.count {
                if field[end] == "'" {
                    if end + 1 < field.count && field[end + 1] == "'" { end += 2; continue }
                    break
                }
                end += 1
            }
            value = String(field[index...min(end, field.count - 1)])
            let after = field.count > end + 1 ? String(field[(end + 1)...]) : ""
            if let slash = after.firstIndex(of: "/") { comment = String(after[after.index(after: slash)...]) }
        } else {
            let line = String(field[index...])
            if let slash = line.firstIndex(of: "/") {
                value = String(line[..<slash]); comment = String(line[line.index(after: slash)...])
            } else {
                value = line
            }
        }
        return FITSKeyword(name: name, value: value.trimmingCharacters(in: .whitespaces), comment: comment.trimmingCharacters(in: .whitespaces))
    }

    /// A card's value text: a string without its quotes, else the text before any comment.
    static func value(of field: ArraySlice<UInt8>) -> String {
        var start = field.startIndex
        while start < field.endIndex && field[start] == 0x20 { start += 1 }
        var inner: [UInt8] = []
        if start < field.endIndex && field[start] == UInt8(ascii: "'") {
            var index = start + 1
            while index < field.endIndex {
                if field[index] == UInt8(ascii: "'") {
                    guard index + 1 < field.endIndex, field[index + 1] == UInt8(ascii: "'") else { break }
                    index += 1
                }
                inner.append(field[index])
                index += 1
            }
        } else {
            inner = Array(field[start...].prefix { $0 != UInt8(ascii: "/") })
        }
        while inner.last == 0x20 { inner.removeLast() }
        while inner.first == 0x20 { inner.removeFirst() }
        return String(decoding: inner, as: UTF8.self)
    }

    /// |BITPIX|/8 × GCOUNT × (PCOUNT + NAXIS1 × … × NAXISn), checked for overflow and negative values.
    static func dataSize(_ header: Header, path: String, hdu: Int) throws -> Int {
        guard let bitpix = header.integer("BITPIX"), [8, 16, 32, 64, -32, -64].contains(bitpix) else {
            throw ImageIOError.malformed(path: path, detail: "HDU \(hdu + 1) has no valid BITPIX (\(header.values["BITPIX"] ?? "missing"))")
        }
        guard let naxis = header.integer("NAXIS"), (0...999).contains(naxis) else {
            throw ImageIOError.malformed(path: path, detail: "HDU \(hdu + 1) has no valid NAXIS (\(header.values["NAXIS"] ?? "missing"))")
        }
        guard naxis > 0 else { return 0 }
        var product = 1
        for axis in 1...naxis {
            guard let length = header.integer("NAXIS\(axis)"), length >= 0 else {
                throw ImageIOError.malformed(path: path, detail: "HDU \(hdu + 1) has no valid NAXIS\(axis) (\(header.values["NAXIS\(axis)"] ?? "missing"))")
            }
            let next = product.multipliedReportingOverflow(by: length)
            guard !next.overflow else { throw ImageIOError.tooLarge(path: path, detail: "HDU \(hdu + 1): axis lengths overflow") }
            product = next.partialValue
        }
        let pcount = header.integer("PCOUNT") ?? 0, gcount = header.integer("GCOUNT") ?? 1
        guard pcount >= 0, gcount >= 0 else { throw ImageIOError.malformed(path: path, detail: "HDU \(hdu + 1) has a negative PCOUNT or GCOUNT") }
        guard gcount <= Int(Int32.max) else { throw ImageIOError.tooLarge(path: path, detail: "HDU \(hdu + 1) claims \(gcount) groups") }
        let groups = product.addingReportingOverflow(pcount)
        let bytes = groups.partialValue.multipliedReportingOverflow(by: gcount * abs(bitpix) / 8)
        guard !groups.overflow, !bytes.overflow else {
            throw ImageIOError.tooLarge(path: path, detail: "HDU \(hdu + 1) claims an impossible data size")
        }
        return bytes.partialValue
    }

    /// Tile-compression parameters as cfitsio would use them; every value it divides by must be positive.
    static func checkCompression(_ header: Header, path: String, hdu: Int) throws {
        func bad(_ detail: String) -> ImageIOError { .malformed(path: path, detail: "tile-compressed HDU \(hdu + 1): \(detail)") }
        let algorithm = header.values["ZCMPTYPE"] ?? ""
        guard compressionAlgorithms.contains(algorithm) else {
            throw ImageIOError.unsupported(path: path, detail: "tile compression \"\(algorithm)\" (RICE_1, GZIP_1, GZIP_2 and NOCOMPRESS are read; decompress the file with funpack)")
        }
        guard let bitpix = header.integer("ZBITPIX"), [8, 16, 32, 64, -32, -64].contains(bitpix) else {
            throw bad("invalid ZBITPIX \(header.values["ZBITPIX"] ?? "missing")")
        }
        guard let axes = header.integer("ZNAXIS"), (1...999).contains(axes) else { throw bad("invalid ZNAXIS \(header.values["ZNAXIS"] ?? "missing")") }
        var tiles = 1
        for axis in 1...axes {
            guard let length = header.integer("ZNAXIS\(axis)"), length > 0 else { throw bad("invalid ZNAXIS\(axis) \(header.values["ZNAXIS\(axis)"] ?? "missing")") }
            // Absent ZTILEn means whole rows (axis 1) and single rows (the others); present ones must be positive.
            let tile = header.values["ZTILE\(axis)"] == nil ? (axis == 1 ? length : 1) : (header.integer("ZTILE\(axis)") ?? 0)
            guard tile > 0 else { throw bad("ZTILE\(axis) = \(header.values["ZTILE\(axis)"] ?? "") must be at least 1") }
            let count = tiles.multipliedReportingOverflow(by: (length - 1) / tile + 1)
            guard !count.overflow else { throw bad("tile count overflows") }
            tiles = count.partialValue
        }
        guard let rows = header.integer("NAXIS2"), rows == tiles else {
            throw bad("\(header.values["NAXIS2"] ?? "no") table rows for \(tiles) tiles")
        }
        // Parameters: every ZVALn must be a plain number, and RICE's (block size, bytes per pixel) must be positive,
        // whatever its ZNAMEn says: cfitsio matches names loosely and reads "0   32" as 0.
        var parameters: [String: Int] = [:]
        for index in 1...99 {
            guard header.values["ZNAME\(index)"] != nil || header.values["ZVAL\(index)"] != nil else { break }
            let name = (header.values["ZNAME\(index)"] ?? "").uppercased(), text = header.values["ZVAL\(index)"] ?? ""
            guard let number = Double(text), number.isFinite else { throw bad("ZVAL\(index) = \(text) is not a number") }
            if algorithm.hasPrefix("RICE") {
                guard number.rounded() == number, number >= 1, number <= 4096 else { throw bad("RICE parameter ZVAL\(index) = \(text) (\(name)) must be 1…4096") }
                parameters[name] = Int(number)
            }
        }
        if let block = parameters["BLOCKSIZE"], block > 4096 { throw bad("RICE BLOCKSIZE \(block) must be 1…4096") }
        if let bytes = parameters["BYTEPIX"], ![1, 2, 4, 8].contains(bytes) { throw bad("RICE BYTEPIX \(bytes) must be 1, 2, 4 or 8") }
    }
}
