import Foundation
import LerarCore

/// Where a data block's bytes are and how they are encoded (XISF 1.0 §10).
struct XISFDataBlock {
    enum Location {
        case attachment(position: Int, size: Int)
        case inline(encoding: String, text: String)
        case embedded(encoding: String, text: String)
    }

    var location: Location
    var compression: XISFCompression?
    var uncompressedSize: Int?
    var itemSize: Int = 1
    var subblocks: [(compressed: Int, uncompressed: Int)]?
    var checksum: (algorithm: DigestAlgorithm, digest: String)?
    var bigEndian = false

    /// Parses the block attributes of `element` (location, compression, subblocks, checksum, byteOrder).
    init(element: XMLNode, path: String) throws {
        let malformed = { (detail: String) in ImageIOError.malformed(path: path, detail: "<\(element.name)> \(detail)") }
        guard let locationText = element.attributes["location"] else { throw malformed("has no location attribute") }
        let lowered = locationText.lowercased()
        if lowered.hasPrefix("url(") || lowered.hasPrefix("path(") {
            throw ImageIOError.unsupported(path: path, detail: "distributed XISF (external data block \"\(locationText)\") is not supported; open the monolithic .xisf file")
        }
        let parts = locationText.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var blockAttributes = element.attributes
        switch parts.first?.lowercased() {
        case "attachment":
            guard parts.count == 3, let position = Int(parts[1]), let size = Int(parts[2]), position >= 0, size >= 0 else {
                throw malformed("has a malformed location \"\(locationText)\"")
            }
            location = .attachment(position: position, size: size)
        case "inline":
            guard parts.count == 2 else { throw malformed("has a malformed location \"\(locationText)\"") }
            location = .inline(encoding: parts[1].lowercased(), text: element.text)
        case "embedded":
            guard let data = element.children(named: "Data").first else { throw malformed("is embedded but has no <Data> child") }
            location = .embedded(encoding: data.attributes["encoding"]?.lowercased() ?? "base64", text: data.text)
            blockAttributes.merge(data.attributes) { _, dataValue in dataValue } // compression goes on <Data> here
        default:
            throw malformed("has an unknown location \"\(locationText)\"")
        }
        if let compressionText = blockAttributes["compression"] {
            let tokens = compressionText.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard tokens.count == 2 || tokens.count == 3 else { throw malformed("has a malformed compression \"\(compressionText)\"") }
            guard let codec = XISFCompression(name: tokens[0]) else {
                throw ImageIOError.unsupported(path: path, detail: "unknown compression codec \"\(tokens[0])\"")
            }
            guard let size = Int(tokens[1]), size > 0 else { throw malformed("has an invalid uncompressed size in \"\(compressionText)\"") }
            compression = codec
            uncompressedSize = size
            if tokens.count == 3 {
                guard let item = Int(tokens[2]), (1...16).contains(item) else { throw malformed("has an item size outside 1…16 in \"\(compressionText)\"") }
                itemSize = item
            } else if codec.shuffle {
                throw malformed("uses byte shuffling without an item size in \"\(compressionText)\"")
            }
        }
        if let subblockText = blockAttributes["subblocks"] {
            subblocks = try subblockText.split(separator: ":").map { pair in
                let sizes = pair.split(separator: ",")
                guard sizes.count == 2, let c = Int(sizes[0]), let u = Int(sizes[1]), c > 0, u > 0 else {
                    throw malformed("has malformed subblocks \"\(subblockText)\"")
                }
                return (c, u)
            }
        }
        if let checksumText = blockAttributes["checksum"] {
            let tokens = checksumText.split(separator: ":").map(String.init)
            guard tokens.count == 2, let algorithm = DigestAlgorithm(xisfName: tokens[0]) else {
                throw ImageIOError.unsupported(path: path, detail: "unknown checksum \"\(checksumText)\"")
            }
            guard tokens[1].count == algorithm.byteCount * 2 else { throw malformed("has a checksum digest of the wrong length") }
            checksum = (algorithm, tokens[1].lowercased())
        }
        switch blockAttributes["byteOrder"]?.lowercased() {
        case nil, "little": bigEndian = false
        case "big": bigEndian = true
        case let other?: throw malformed("has an invalid byteOrder \"\(other)\"")
        }
    }

    /// Stored (possibly compressed) size in bytes, when known without decoding.
    var storedSize: Int? {
        if case let .attachment(_, size) = location { return size }
        return nil
    }

    /// Reads, verifies and decompresses the block. `expectedSize` (bytes after decompression) is checked
    /// against the file before anything is allocated.
    func read(from file: XISFFileAccess, expectedSize: Int) throws -> [UInt8] {
        let path = file.path
        if let declared = uncompressedSize, declared != expectedSize {
            throw ImageIOError.malformed(path: path, detail: "compressed block declares \(declared) bytes, its element needs \(expectedSize)")
        }
        let stored: [UInt8]
        switch location {
        case let .attachment(position, size):
            try checkAttachment(position: position, size: size, in: file, expectedSize: expectedSize)
            stored = try file.read(at: position, count: size)
        case let .inline(encoding, text), let .embedded(encoding, text):
            try checkPlausible(storedSize: text.utf8.count, expectedSize: expectedSize, path: path)
            stored = try Self.decodeText(text, encoding: encoding, path: path)
        }
        if let (algorithm, digest) = checksum {
            let actual = stored.withUnsafeBytes { algorithm.hexDigest($0) }
            guard actual == digest else {
                throw ImageIOError.checksumMismatch(path: path, detail: "\(algorithm.rawValue) of the data block is \(actual), header says \(digest)")
            }
        }
        var bytes: [UInt8]
        if let compression {
            bytes = try stored.withUnsafeBytes {
                try XISFBlockCodec.decompress($0, compression: compression, uncompressedSize: expectedSize,
                                              subblocks: subblocks, itemSize: itemSize, path: path)
            }
        } else {
            guard stored.count == expectedSize else {
                throw ImageIOError.malformed(path: path, detail: "data block holds \(stored.count) bytes, its element needs \(expectedSize)")
            }
            bytes = stored
        }
        return bytes
    }

    /// Where an uncompressed attached block without a checksum starts, checked as `read` checks it: such a block
    /// is the samples themselves, read straight into an image (`SampleFileReader`); nil for any other block.
    func plainAttachment(in file: XISFFileAccess, expectedSize: Int) throws -> Int? {
        guard compression == nil, checksum == nil, case let .attachment(position, size) = location else { return nil }
        try checkAttachment(position: position, size: size, in: file, expectedSize: expectedSize)
        guard size == expectedSize else {
            throw ImageIOError.malformed(path: file.path, detail: "data block holds \(size) bytes, its element needs \(expectedSize)")
        }
        return position
    }

    /// An attachment lies after the header, inside the file, and can hold `expectedSize` bytes.
    private func checkAttachment(position: Int, size: Int, in file: XISFFileAccess, expectedSize: Int) throws {
        let path = file.path
        guard position >= file.dataStart else {
            throw ImageIOError.malformed(path: path, detail: "data block at \(position) starts inside the header (data starts at \(file.dataStart))")
        }
        guard position.addingReportingOverflow(size).overflow == false, position + size <= file.size else {
            throw ImageIOError.truncated(path: path, detail: "data block \(position)+\(size) runs past the end of the file (\(file.size) bytes)")
        }
        try checkPlausible(storedSize: size, expectedSize: expectedSize, path: path)
    }

    private func checkPlausible(storedSize: Int, expectedSize: Int, path: String) throws {
        if let compression {
            let limit = storedSize.multipliedReportingOverflow(by: compression.codec.maximumRatio)
            if !limit.overflow && expectedSize > limit.partialValue {
                throw ImageIOError.tooLarge(path: path, detail: "\(expectedSize) bytes claimed from a \(storedSize)-byte \(compression.codec.rawValue) block exceeds what the codec can expand to")
            }
        }
        let memory = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        if expectedSize > memory {
            throw ImageIOError.tooLarge(path: path, detail: "the image needs \(expectedSize) bytes, more than this machine's \(memory) bytes of memory")
        }
    }

    static func decodeText(_ text: String, encoding: String, path: String) throws -> [UInt8] {
        let compact = text.filter { !$0.isWhitespace }
        switch encoding {
        case "base64":
            guard let data = Data(base64Encoded: compact) else { throw ImageIOError.malformed(path: path, detail: "invalid base64 data block") }
            return [UInt8](data)
        case "hex":
            let digits = Array(compact.utf8)
            guard digits.count % 2 == 0 else { throw ImageIOError.malformed(path: path, detail: "odd-length hex data block") }
            var bytes = [UInt8]()
            bytes.reserveCapacity(digits.count / 2)
            for i in stride(from: 0, to: digits.count, by: 2) {
                guard let high = hexValue(digits[i]), let low = hexValue(digits[i + 1]) else {
                    throw ImageIOError.malformed(path: path, detail: "invalid hex data block")
                }
                bytes.append(high << 4 | low)
            }
            return bytes
        default:
            throw ImageIOError.unsupported(path: path, detail: "data block encoding \"\(encoding)\"")
        }
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 48...57: digit - 48
        case 97...102: digit - 87
        case 65...70: digit - 55
        default: nil
        }
    }
}

/// Random access to an open XISF file.
final class XISFFileAccess {
    let path: String
    let size: Int
    /// First byte after the XML header; attachments must not start before it.
    var dataStart = 16
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw ImageIOError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            close(descriptor)
            throw ImageIOError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        size = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// Reads exactly `count` bytes at `offset`.
    func read(at offset: Int, count: Int) throws -> [UInt8] {
        guard offset >= 0, count >= 0, offset + count <= size else {
            throw ImageIOError.truncated(path: path, detail: "needs bytes \(offset)..<\(offset + count), file has \(size)")
        }
        return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let got = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else {
                    throw ImageIOError.truncated(path: path, detail: "read stopped at byte \(offset + done) of \(offset + count)")
                }
                done += got
            }
            initialized = count
        }
    }
}
