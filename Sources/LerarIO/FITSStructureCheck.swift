import Foundation

/// Reads the structural cards of a FITS file's headers ourselves, before cfitsio sees the file, and refuses what
/// would make cfitsio divide by zero or allocate from a lie: tile-compression parameters (ZTILEn = 0, a RICE block
/// size of 0, a BYTEPIX outside 1/2/4/8, unknown algorithms), axis lengths that overflow, and data that would run
/// past the end of the file. It walks the HDUs up to the first one holding an image, as the reader does.
enum FITSStructureCheck {
    /// Header blocks one HDU may have (36 cards each): far beyond any real file, small enough to stop a runaway scan.
    static let maximumHeaderBlocks = 2000
    /// HDUs walked before giving up on finding an image.
    static let maximumHDUs = 1000
    static let compressionAlgorithms: Set<String> = ["RICE_1", "RICE_ONE", "GZIP_1", "GZIP_2", "PLIO_1", "HCOMPRESS_1", "NOCOMPRESS"]

    /// One header's cards that matter here: name → value text (strings unquoted).
    struct Header {
        var values: [String: String] = [:]
        func integer(_ key: String) -> Int? { values[key].flatMap { Int($0) ?? Double($0).flatMap { $0.rounded() == $0 && abs($0) < 9e18 ? Int($0) : nil } } }
        func logical(_ key: String) -> Bool { values[key] == "T" }
    }

    /// Checks `path` (of `size` bytes); throws a malformed/unsupported/tooLarge error naming the problem.
    static func check(path: String, size: Int) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ImageIOError.cannotOpen(path: path, reason: "cannot be opened for reading") }
        defer { try? handle.close() }
        var offset = 0
        for hdu in 0..<maximumHDUs {
            guard offset + 2880 <= size else {
                if hdu == 0 { throw ImageIOError.truncated(path: path, detail: "no complete header block") }
                return // no further HDU: the reader reports "no image HDU"
            }
            let (header, dataStart) = try readHeader(handle, at: offset, size: size, path: path, hdu: hdu)
            let dataBytes = try dataSize(header, path: path, hdu: hdu)
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
                return
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
            for card in 0..<36 {
                let line = bytes[(card * 80)..<(card * 80 + 80)]
                let name = String(decoding: line.prefix(8), as: UTF8.self).trimmingCharacters(in: .whitespaces)
                if name == "END" { return (header, position) }
                guard line.count == 80, line[line.startIndex + 8] == UInt8(ascii: "="), header.values[name] == nil else { continue }
                header.values[name] = value(of: line.dropFirst(10))
            }
        }
        throw ImageIOError.malformed(path: path, detail: "header of HDU \(hdu + 1) has more than \(maximumHeaderBlocks) blocks without an END card")
    }

    /// A card's value text: a string without its quotes, else the text before any comment.
    static func value(of field: ArraySlice<UInt8>) -> String {
        let text = String(decoding: field, as: UTF8.self)
        let trimmed = text.drop { $0 == " " }
        if trimmed.hasPrefix("'") {
            var inner = ""
            var characters = trimmed.dropFirst().makeIterator()
            while let character = characters.next() {
                if character == "'" {
                    guard let following = characters.next(), following == "'" else { break }
                }
                inner.append(character)
            }
            return inner.trimmingCharacters(in: .whitespaces)
        }
        return String(trimmed.prefix { $0 != "/" }).trimmingCharacters(in: .whitespaces)
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
            throw ImageIOError.unsupported(path: path, detail: "tile compression \"\(algorithm)\" (RICE_1, GZIP_1, GZIP_2, PLIO_1, HCOMPRESS_1 are read)")
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
        var parameters: [String: String] = [:]
        for index in 1...99 {
            guard let name = header.values["ZNAME\(index)"] else { break }
            parameters[name.uppercased()] = header.values["ZVAL\(index)"] ?? ""
        }
        if algorithm.hasPrefix("RICE") {
            if let text = parameters["BLOCKSIZE"] {
                guard let block = Int(text), (1...4096).contains(block) else { throw bad("RICE BLOCKSIZE \(text) must be 1…4096") }
            }
            if let text = parameters["BYTEPIX"] {
                guard let bytes = Int(text), [1, 2, 4, 8].contains(bytes) else { throw bad("RICE BYTEPIX \(text) must be 1, 2, 4 or 8") }
            }
        }
        if algorithm == "HCOMPRESS_1", let text = parameters["SCALE"] {
            guard let scale = Double(text), scale >= 0, scale.isFinite else { throw bad("HCOMPRESS SCALE \(text) must be a number ≥ 0") }
        }
    }
}
