import CFITSIO
import Foundation
import LerarCore

/// Reads bands of rows of one channel from an image file without loading the whole image, so stacks of many frames
/// fit in a memory budget. Uncompressed FITS (cfitsio) and uncompressed planar XISF are read incrementally;
/// compressed or pixel-interleaved XISF is decoded once and served from memory (its size is `residentBytes`).
public final class ImageRowReader: @unchecked Sendable {
    public let header: ImageFileHeader
    /// Bytes this reader keeps in memory (a decoded compressed image), 0 when reading incrementally.
    public private(set) var residentBytes = 0
    /// Whether every read is served from an image in memory (no file access).
    public var readsFromMemory: Bool { resident != nil }
    private var fits: FITSHandle?
    private var fitsStorage: FITSReader.Storage?
    private var xisfFile: XISFFileAccess?
    private var xisfOffset = 0
    private var xisfBigEndian = false
    private var resident: Image?
    /// Subtracted from every band read (a flat's master dark-flat), nil for none.
    private var subtracted: MasterSubtraction?
    private let lock = NSLock()

    public init(path: String) throws {
        switch try ImageFileFormat.from(path: path) {
        case .fits:
            let opened = try FITSReader.open(path)
            header = opened.header
            if opened.handle == nil {
                // Extension images (tile-compressed ones too) are decoded by Lerar and served from memory.
                resident = try FITSReader.read(path)
                residentBytes = resident!.samples.count * 4
            } else {
                fits = opened.handle
                fitsStorage = opened.storage
            }
        case .xisf:
            let parsed = try XISFReader.parse(path)
            header = parsed.header
            if case let .attachment(position, _) = parsed.block.location, parsed.block.compression == nil, parsed.block.checksum == nil,
               header.pixelStorage == "Planar" || header.channelCount == 1 {
                _ = try XISFReader.byteCount(header, path: path)
                guard position >= parsed.file.dataStart, position + (try XISFReader.byteCount(header, path: path)) <= parsed.file.size else {
                    throw ImageIOError.truncated(path: path, detail: "image block runs past the end of the file")
                }
                xisfFile = parsed.file
                xisfOffset = position
                xisfBigEndian = parsed.block.bigEndian
            } else {
                resident = try XISFReader.read(path)
                residentBytes = resident!.samples.count * 4
            }
        case .cameraRaw:
            resident = try CameraRawReader.read(path)
            header = try CameraRawReader.readHeader(path)
            residentBytes = resident!.samples.count * 4
        }
    }

    /// A reader of the file at `path` whose bands come less `master` (checked against the file's geometry here).
    public convenience init(path: String, subtracting master: MasterSubtraction?) throws {
        try self.init(path: path)
        if let master {
            try master.check(width: header.width, height: header.height, channels: header.channelCount, path: path)
            subtracted = master
        }
    }

    /// A reader over an image already in memory (named `path` in headers and messages); its samples count as
    /// resident, so a band budget shrinks by them.
    public init(image: Image, path: String) {
        header = ImageFileHeader(path: path, format: (try? ImageFileFormat.from(path: path)) ?? .xisf, width: image.width, height: image.height,
                                 colorSpace: image.colorSpace, sampleFormat: image.sourceSampleFormat ?? .float32, compression: nil,
                                 pixelStorage: "Planar", checksum: nil, metadata: image.metadata, warnings: [])
        resident = image
        residentBytes = image.samples.count * MemoryLayout<Float>.stride
    }

    /// Reads rows `rows` of `channel` into `output` (count = rows.count × width), normalised like `ImageFile.read`
    /// (less the master, if any).
    public func read(rows: Range<Int>, channel: Int, into output: UnsafeMutableBufferPointer<Float>) throws {
        try readStored(rows: rows, channel: channel, into: output)
        subtracted?.apply(rows: rows, channel: channel, to: output)
    }

    /// The rows as stored in the file or the resident image.
    private func readStored(rows: Range<Int>, channel: Int, into output: UnsafeMutableBufferPointer<Float>) throws {
        let width = header.width, height = header.height
        precondition(rows.lowerBound >= 0 && rows.upperBound <= height && channel < header.channelCount, "rows \(rows) of channel \(channel) outside the image")
        precondition(output.count >= rows.count * width, "output too small")
        let first = (channel * height + rows.lowerBound) * width, count = rows.count * width
        if let resident {
            resident.withSamples { all in _ = UnsafeMutableBufferPointer(rebasing: output[0..<count]).update(fromContentsOf: all[first..<(first + count)]) }
            return
        }
        if let file = xisfFile {
            let format = header.sampleFormat
            let bytes = try file.read(at: xisfOffset + first * format.byteCount, count: count * format.byteCount)
            _ = bytes.withUnsafeBytes { SampleCodec.decode($0, format: format, scale: .fullRange, bigEndian: xisfBigEndian, into: UnsafeMutableBufferPointer(rebasing: output[0..<count])) }
            return
        }
        guard let fits, let storage = fitsStorage else { return }
        // cfitsio keeps per-file state: one band at a time per file.
        try lock.withLock {
            var status: Int32 = 0
            switch storage {
            case let .stored(format, datatype):
                var scratch = [UInt8](repeating: 0, count: count * format.byteCount)
                scratch.withUnsafeMutableBytes { raw in
                    _ = ffgpv(fits.pointer, datatype, Int64(first + 1), Int64(count), nil, raw.baseAddress, nil, &status)
                }
                try fits.check(status)
                _ = scratch.withUnsafeBytes { SampleCodec.decode($0, format: format, scale: .adu16, into: UnsafeMutableBufferPointer(rebasing: output[0..<count])) }
            case .physical:
                _ = ffgpv(fits.pointer, TFLOAT, Int64(first + 1), Int64(count), nil, output.baseAddress, nil, &status)
                try fits.check(status)
            }
        }
    }
}
