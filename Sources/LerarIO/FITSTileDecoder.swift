import CZlib
import Foundation
import LerarCore

/// Decodes tile-compressed FITS images (the `.fz` convention: RICE_1, GZIP_1, GZIP_2, NOCOMPRESS; quantized floats
/// with subtractive dithering) ourselves instead of through cfitsio, whose decoders read past corrupt tiles and
/// inflate gzip bombs without limit (found by `make fuzz`). Every tile is bounds-checked against its heap bytes and
/// must decode to exactly its pixel count; anything else is an error naming the file and the tile.
struct FITSTileDecoder {
    /// One binary-table column: byte offset within a row, and for variable-length columns the element size.
    struct Column {
        var offset: Int
        /// Type code (`P`/`Q` descriptor, or `D`, `E`, `J`, `K`, …).
        var code: Character
        /// For P/Q: element type of the heap array.
        var elementCode: Character?
    }

    let path: String
    let header: FITSStructureCheck.Header
    let table: [UInt8]
    let heapStart: Int
    let rowWidth: Int, rows: Int
    let columns: [String: Column]
    let axes: [Int], tiles: [Int]
    let zbitpix: Int
    let algorithm: String
    let blockSize: Int, bytePix: Int

    func fail(_ detail: String) -> ImageIOError { .malformed(path: path, detail: "tile-compressed image: \(detail)") }

    init(path: String, layout: FITSStructureCheck.Layout) throws {
        self.path = path
        header = layout.header
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ImageIOError.cannotOpen(path: path, reason: "cannot be opened for reading") }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(layout.dataStart))
        guard let data = try handle.read(upToCount: layout.dataBytes), data.count == layout.dataBytes else {
            throw ImageIOError.truncated(path: path, detail: "compressed data cut short")
        }
        table = [UInt8](data)
        rowWidth = header.integer("NAXIS1") ?? 0
        rows = header.integer("NAXIS2") ?? 0
        let mainTable = rowWidth.multipliedReportingOverflow(by: rows)
        guard rowWidth > 0, !mainTable.overflow, mainTable.partialValue <= table.count else { throw ImageIOError.malformed(path: path, detail: "tile table larger than its HDU") }
        heapStart = header.integer("THEAP") ?? mainTable.partialValue
        guard heapStart >= mainTable.partialValue, heapStart <= table.count else { throw ImageIOError.malformed(path: path, detail: "THEAP outside the HDU") }
        var columns: [String: Column] = [:]
        var offset = 0
        for index in 1...max(1, header.integer("TFIELDS") ?? 0) {
            guard let form = header.values["TFORM\(index)"], let parsed = Self.parse(form: form) else {
                throw ImageIOError.malformed(path: path, detail: "tile table column \(index) has no valid TFORM")
            }
            if let name = header.values["TTYPE\(index)"] { columns[name.uppercased()] = Column(offset: offset, code: parsed.code, elementCode: parsed.element) }
            offset += parsed.width
        }
        guard offset <= rowWidth else { throw ImageIOError.malformed(path: path, detail: "tile table columns are wider than its rows") }
        self.columns = columns
        let cards = layout.header
        let zbitpix = cards.integer("ZBITPIX") ?? 0
        let axes = (1...max(1, cards.integer("ZNAXIS") ?? 0)).map { cards.integer("ZNAXIS\($0)") ?? 0 }
        self.zbitpix = zbitpix
        self.axes = axes
        tiles = axes.indices.map { axis in cards.values["ZTILE\(axis + 1)"] == nil ? (axis == 0 ? axes[0] : 1) : (cards.integer("ZTILE\(axis + 1)") ?? 1) }
        algorithm = cards.values["ZCMPTYPE"] ?? ""
        var parameters: [String: Int] = [:]
        for index in 1...99 {
            guard let name = cards.values["ZNAME\(index)"] else { break }
            parameters[name.uppercased()] = cards.integer("ZVAL\(index)")
        }
        blockSize = parameters["BLOCKSIZE"] ?? 32
        // Integer images store pixels at their own width; quantized floats as 32-bit integers.
        bytePix = parameters["BYTEPIX"] ?? (zbitpix > 0 ? zbitpix / 8 : 4)
        // Before anything is allocated for the pixels: no codec here expands more than gzip's ~1032:1.
        let pixels = axes.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
        let limit = layout.dataBytes.multipliedReportingOverflow(by: 1100).partialValue + (1 << 20)
        guard pixels < Int.max / 8, pixels * max(1, abs(zbitpix) / 8) <= limit else {
            throw ImageIOError.tooLarge(path: path, detail: "\(axes.map(String.init).joined(separator: "×")) pixels claimed from \(layout.dataBytes) compressed bytes")
        }
    }

    /// Width in bytes, type code and heap element code of a TFORM such as `1PB(85)`, `1D`, `8A`.
    static func parse(form: String) -> (width: Int, code: Character, element: Character?)? {
        let text = form.trimmingCharacters(in: .whitespaces).uppercased()
        let digits = text.prefix { $0.isNumber }
        let repeatCount = digits.isEmpty ? 1 : Int(digits) ?? -1
        guard repeatCount >= 0, repeatCount < 1 << 20, let code = text.dropFirst(digits.count).first else { return nil }
        let rest = text.dropFirst(digits.count + 1)
        let size: Int
        switch code {
        case "L", "B", "A": size = 1
        case "I": size = 2
        case "J", "E": size = 4
        case "K", "D", "C": size = 8
        case "M": size = 16
        case "X": return ((repeatCount + 7) / 8, code, nil)
        case "P": return (8 * min(1, repeatCount), code, rest.first)
        case "Q": return (16 * min(1, repeatCount), code, rest.first)
        default: return nil
        }
        return (size * repeatCount, code, nil)
    }

    /// Decodes every tile into `output` (planar, FITS order) as physical value / `divisor`; returns how many samples
    /// a Float32 does not hold exactly.
    func decode(into output: UnsafeMutableBufferPointer<Float>, divisor: Double) throws -> Int {
        let total = axes.reduce(1, *)
        guard output.count == total else { throw fail("image size does not match the header") }
        let grid = axes.indices.map { (axes[$0] + tiles[$0] - 1) / tiles[$0] }
        let tileCount = grid.reduce(1, *)
        guard tileCount == rows else { throw fail("\(rows) rows for \(tileCount) tiles") }
        let bscale = header.values["BSCALE"].flatMap(Double.init) ?? 1, bzero = header.values["BZERO"].flatMap(Double.init) ?? 0
        let errors = FirstError(), inexact = Tally()
        let shared = UnsafeSendable(output)
        let wide = zbitpix == 32 || zbitpix == 64 || zbitpix == -64
        // Chunks of ≥ 64k pixels: small images decode on the calling thread.
        let tilesPerChunk = max(1, (1 << 16) / max(1, tiles.reduce(1, *)))
        Parallel.forEachChunk(count: tileCount, minimumChunkSize: tilesPerChunk) { range in for tile in range {
            guard !errors.failed else { return }
            do {
                // Tile origin and extent along each axis (axis 0 fastest, as tiles are stored).
                var remainder = tile, origin: [Int] = [], extent: [Int] = []
                for axis in axes.indices {
                    let position = remainder % grid[axis]
                    remainder /= grid[axis]
                    origin.append(position * tiles[axis])
                    extent.append(min(tiles[axis], axes[axis] - position * tiles[axis]))
                }
                let values = try physicalValues(tile: tile, count: extent.reduce(1, *), bscale: bscale, bzero: bzero)
                while origin.count < 3 { origin.append(0); extent.append(1) }
                let width = axes[0], plane = axes.count > 1 ? axes[1] : 1
                var lost = 0, index = 0
                for z in 0..<extent[2] {
                    for y in 0..<extent[1] {
                        let rowStart = ((origin[2] + z) * plane + origin[1] + y) * width + origin[0]
                        for x in 0..<extent[0] {
                            let value = values[index]
                            index += 1
                            let sample = Float(value / divisor)
                            shared.value[rowStart + x] = sample
                            // 8/16-bit integers and float32 always fit; wider integers and float64 may not.
                            if wide && !value.isNaN && (zbitpix < 0 ? Double(sample) != value : (Double(sample) * divisor).rounded() != value) { lost += 1 }
                        }
                    }
                }
                if lost > 0 { inexact.add(lost) }
            } catch {
                errors.record(error)
            }
        } }
        if let error = errors.first { throw error }
        return inexact.count
    }

    /// Heap bytes of a variable-length column in row `row` (nil when the column is absent or empty).
    func heapBytes(_ name: String, row: Int) throws -> (bytes: ArraySlice<UInt8>, element: Character)? {
        guard let column = columns[name], column.code == "P" || column.code == "Q", let element = column.elementCode else { return nil }
        let at = row * rowWidth + column.offset
        let count: Int, offset: Int
        if column.code == "P" {
            count = Int(Self.bigEndian(table, at, 4)); offset = Int(Self.bigEndian(table, at + 4, 4))
        } else {
            let c = Self.bigEndian(table, at, 8), o = Self.bigEndian(table, at + 8, 8)
            guard c < UInt64(Int.max), o < UInt64(Int.max) else { throw fail("tile \(row + 1): impossible heap descriptor") }
            count = Int(c); offset = Int(o)
        }
        guard count > 0 else { return nil }
        let size = element == "I" ? 2 : element == "J" || element == "E" ? 4 : element == "K" || element == "D" ? 8 : 1
        let bytes = count.multipliedReportingOverflow(by: size), start = heapStart.addingReportingOverflow(offset)
        guard !bytes.overflow, !start.overflow, start.partialValue <= table.count, bytes.partialValue <= table.count - start.partialValue else {
            throw fail("tile \(row + 1) points outside the heap")
        }
        return (table[start.partialValue..<(start.partialValue + bytes.partialValue)], element)
    }

    /// An unsigned big-endian integer of `width` bytes at `at`.
    static func bigEndian(_ bytes: [UInt8], _ at: Int, _ width: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in at..<(at + width) { value = value << 8 | UInt64(bytes[index]) }
        return value
    }

    /// A per-tile scalar column (ZSCALE, ZZERO, ZBLANK), else the keyword of the same name.
    func scalar(_ name: String, row: Int) -> Double? {
        if let column = columns[name] {
            let at = row * rowWidth + column.offset
            switch column.code {
            case "D": return Double(bitPattern: Self.bigEndian(table, at, 8))
            case "E": return Double(Float(bitPattern: UInt32(Self.bigEndian(table, at, 4))))
            case "J": return Double(Int32(bitPattern: UInt32(Self.bigEndian(table, at, 4))))
            case "K": return Double(Int64(bitPattern: Self.bigEndian(table, at, 8)))
            default: return nil
            }
        }
        return header.values[name].flatMap(Double.init)
    }

    /// The physical values of one tile.
    func physicalValues(tile row: Int, count: Int, bscale: Double, bzero: Double) throws -> [Double] {
        let floating = zbitpix < 0
        let zscale = floating ? scalar("ZSCALE", row: row) : nil
        let quantized = zscale != nil
        if let (bytes, _) = try heapBytes("COMPRESSED_DATA", row: row) {
            if floating && !quantized {
                // Lossless floats: the tile holds IEEE values (gzip-compressed or not).
                let raw = try bytesOfTile(bytes, count: count, width: -zbitpix / 8, row: row)
                return Self.floats(raw, width: -zbitpix / 8, count: count).map { $0 * bscale + bzero }
            }
            let integers = try integersOfTile(bytes, count: count, row: row)
            if let zscale {
                return unquantize(integers, row: row, scale: zscale, zero: scalar("ZZERO", row: row) ?? 0)
            }
            return integers.map { Double($0) * bscale + bzero }
        }
        // Tiles that could not be quantized or compressed are stored losslessly in these columns.
        let width = abs(zbitpix) / 8
        if let (bytes, _) = try heapBytes("GZIP_COMPRESSED_DATA", row: row) {
            let raw = try Self.inflate(bytes, size: count * width, fail: fail("tile \(row + 1): gzip data corrupt"))
            return floating ? Self.floats(raw, width: width, count: count) : Self.signedIntegers(raw, width: width, count: count).map { Double($0) * bscale + bzero }
        }
        if let (bytes, _) = try heapBytes("UNCOMPRESSED_DATA", row: row) {
            guard bytes.count == count * width else { throw fail("tile \(row + 1): \(bytes.count) stored bytes for \(count) pixels") }
            let raw = Array(bytes)
            return floating ? Self.floats(raw, width: width, count: count) : Self.signedIntegers(raw, width: width, count: count).map { Double($0) * bscale + bzero }
        }
        throw fail("tile \(row + 1) has no data")
    }

    /// Raw big-endian bytes of a tile stored by GZIP_1/GZIP_2/NOCOMPRESS.
    func bytesOfTile(_ bytes: ArraySlice<UInt8>, count: Int, width: Int, row: Int) throws -> [UInt8] {
        let size = count * width
        switch algorithm {
        case "GZIP_1": return try Self.inflate(bytes, size: size, fail: fail("tile \(row + 1): gzip data corrupt or not \(size) bytes"))
        case "GZIP_2":
            let shuffled = try Self.inflate(bytes, size: size, fail: fail("tile \(row + 1): gzip data corrupt or not \(size) bytes"))
            var raw = [UInt8](repeating: 0, count: size)
            for byte in 0..<width { for index in 0..<count { raw[index * width + byte] = shuffled[byte * count + index] } }
            return raw
        case "NOCOMPRESS":
            guard bytes.count == size else { throw fail("tile \(row + 1): \(bytes.count) stored bytes for \(count) pixels") }
            return Array(bytes)
        default:
            throw fail("\(algorithm) cannot hold lossless floating-point tiles")
        }
    }

    /// The stored integers of a tile (RICE, or GZIP/NOCOMPRESS of `bytePix`-wide values).
    func integersOfTile(_ bytes: ArraySlice<UInt8>, count: Int, row: Int) throws -> [Int64] {
        switch algorithm {
        case "RICE_1", "RICE_ONE":
            return try RiceDecoder.decode(Array(bytes), count: count, blockSize: blockSize, bytePix: bytePix,
                                          fail: fail("tile \(row + 1): RICE data corrupt"))
        default:
            let width = zbitpix > 0 ? zbitpix / 8 : 4
            return Self.signedIntegers(try bytesOfTile(bytes, count: count, width: width, row: row), width: width, count: count)
        }
    }

    static func signedIntegers(_ raw: [UInt8], width: Int, count: Int) -> [Int64] {
        (0..<count).map { index in
            let value = bigEndian(raw, index * width, width)
            switch width {
            case 1: return Int64(value) // FITS 8-bit data is unsigned
            case 2: return Int64(Int16(truncatingIfNeeded: value))
            case 4: return Int64(Int32(truncatingIfNeeded: value))
            default: return Int64(bitPattern: value)
            }
        }
    }

    static func floats(_ raw: [UInt8], width: Int, count: Int) -> [Double] {
        (0..<count).map { index in
            let value = bigEndian(raw, index * width, width)
            return width == 4 ? Double(Float(bitPattern: UInt32(value))) : Double(bitPattern: value)
        }
    }

    /// Quantized floats back to values: (q − dither + 0.5) × scale + zero for SUBTRACTIVE_DITHER_1/2, q × scale + zero
    /// without dithering; the null marker becomes NaN and, for SUBTRACTIVE_DITHER_2, the zero marker exact 0.
    func unquantize(_ integers: [Int64], row: Int, scale: Double, zero: Double) -> [Double] {
        let method = header.values["ZQUANTIZ"] ?? "NO_DITHER"
        let nullValue: Int64 = -2_147_483_647, zeroValue: Int64 = -2_147_483_646
        let blank = scalar("ZBLANK", row: row).map { Int64($0) } ?? nullValue
        guard method.hasPrefix("SUBTRACTIVE_DITHER") else {
            return integers.map { $0 == blank ? .nan : Double($0) * scale + zero }
        }
        var dither = DitherSequence(tile: row, seed: header.integer("ZDITHER0") ?? 1)
        return integers.map { q in
            let offset = dither.next()
            if q == blank { return .nan }
            if method == "SUBTRACTIVE_DITHER_2" && q == zeroValue { return 0 }
            return (Double(q) - offset + 0.5) * scale + zero
        }
    }

    /// Inflates gzip (or zlib) data into exactly `size` bytes, never more.
    static func inflate(_ input: ArraySlice<UInt8>, size: Int, fail: ImageIOError) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw fail }
        defer { inflateEnd(&stream) }
        var spare: UInt8 = 0
        let status: Int32 = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                var result = CZlib.inflate(&stream, Z_FINISH)
                if result == Z_BUF_ERROR && stream.avail_out == 0 {
                    // Output full: the stream must end here, not hold more than the tile.
                    withUnsafeMutablePointer(to: &spare) { one in
                        stream.next_out = one
                        stream.avail_out = 1
                        result = CZlib.inflate(&stream, Z_FINISH)
                    }
                    if stream.avail_out == 0 { return Z_DATA_ERROR }
                }
                return result
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else { throw fail }
        return output
    }
}

/// The FITS tiled-image convention's dither sequence: 10,000 uniform values from the Park–Miller generator
/// (a = 16807, m = 2^31 − 1, seed 1), entered per tile at an offset set by ZDITHER0 and the tile's row.
struct DitherSequence {
    static let values: [Double] = {
        var seed = 1.0
        return (0..<10_000).map { _ in
            let product = 16807 * seed
            seed = product - 2_147_483_647 * (product / 2_147_483_647).rounded(.towardZero)
            return seed / 2_147_483_647
        }
    }()

    var seedIndex: Int, position: Int

    init(tile: Int, seed: Int) {
        seedIndex = ((tile + seed - 1) % 10_000 + 10_000) % 10_000
        position = Int(Self.values[seedIndex] * 500)
    }

    mutating func next() -> Double {
        let value = Self.values[position]
        position += 1
        if position == 10_000 {
            seedIndex = (seedIndex + 1) % 10_000
            position = Int(Self.values[seedIndex] * 500)
        }
        return value
    }
}
