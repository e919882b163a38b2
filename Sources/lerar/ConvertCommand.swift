import ArgumentParser
import Foundation
import LerarCore
import LerarIO

extension SampleFormat: ExpressibleByArgument {
    public init?(argument: String) {
        guard let match = SampleFormat.allCases.first(where: { $0.rawValue.lowercased() == argument.lowercased() }) else { return nil }
        self = match
    }
}

extension DigestAlgorithm: ExpressibleByArgument {
    public init?(argument: String) { self.init(xisfName: argument) }
}

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert between FITS and XISF (by extension), optionally changing sample format and compression.",
        discussion: """
        Keywords and properties are kept; a HISTORY line records the conversion. The output is written to a
        temporary file and renamed into place; an existing output is replaced only with --overwrite.
        Every sample format round-trips exactly (FITS 16/32-bit integers are read as ADU on the 16-bit scale);
        an input with samples a 32-bit float cannot hold (32-bit integers beyond ±2^23, float64 detail) is
        refused unless --allow-precision-loss.
        XISF codecs: zlib, lz4, lz4hc, zstd, each optionally with +sh (byte shuffling), or none.
        FITS tile compression: rice, gzip, gzip2 (a .fz output defaults to rice); floats stay lossless.
        """
    )

    @Argument(help: "Input FITS or XISF file.", completion: .file())
    var input: String

    @Argument(help: "Output file (.fits/.fit/.fts/.fz or .xisf).", completion: .file())
    var output: String

    @Option(help: "Stored sample format: uint8, uint16, uint32, float32, float64 (default: as the input).")
    var sampleFormat: SampleFormat?

    @Option(help: "Compression codec (see above).")
    var compression: String?

    @Option(help: "Codec level (zlib 1-9, lz4hc 1-12, zstd 1-22).")
    var compressionLevel: Int?

    @Option(help: "XISF block checksum: sha1, sha256, sha512, sha3-256, sha3-512.")
    var checksum: DigestAlgorithm?

    @Flag(help: "Replace the output if it exists.")
    var overwrite = false

    @Flag(help: "Convert even when the input holds samples a 32-bit float cannot represent exactly (32-bit integers above 2^23, float64 detail).")
    var allowPrecisionLoss = false

    func run() throws {
        do {
            try convert()
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
    }

    func convert() throws {
        if let inputID = fileIdentity(input), inputID == fileIdentity(output) {
            throw ImageIOError.writeFailed(path: output, reason: "it is the input file; inputs are never modified")
        }
        let outputFormat = try ImageFileFormat.from(path: output)
        var image = try ImageFile.read(input)
        if image.inexactSourceSamples > 0 && !allowPrecisionLoss {
            throw ImageIOError.unsupported(path: input, detail: "\(image.inexactSourceSamples) \(image.sourceSampleFormat?.rawValue ?? "") samples cannot be held exactly in Lerar's 32-bit float images, so the conversion would change them; nothing was written (--allow-precision-loss converts anyway)")
        }
        let format = sampleFormat ?? image.sourceSampleFormat ?? .float32
        image.metadata.addHistory("\(LerarVersion.application) convert: from \(URL(fileURLWithPath: input).lastPathComponent) to \(outputFormat.rawValue) \(format.rawValue)")
        let options = ImageWriteOptions(sampleFormat: format, compression: compression, compressionLevel: compressionLevel,
                                        checksum: checksum, overwrite: overwrite)
        try ImageFile.write(image, to: output, options: options)
        print("\(output): \(image.width)×\(image.height)×\(image.channelCount) \(format.rawValue)" + (compression.map { ", \($0)" } ?? ""))
    }

    private func fileIdentity(_ path: String) -> [UInt64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }
}
