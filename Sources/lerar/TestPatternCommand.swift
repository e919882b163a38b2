import ArgumentParser
import LerarCore
import LerarIO
import LerarSimulator

struct TestPatternCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-pattern",
        abstract: "Write a synthetic light frame (sky gradient, stars, noise) for trying the tools out."
    )

    @Argument(help: "Output file (.fits or .xisf).", completion: .file())
    var output: String

    @Option(help: "Width and height in px.")
    var size = 512

    @Flag(help: "RGB instead of gray.")
    var color = false

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "Stored sample format (default uint16).")
    var sampleFormat: SampleFormat = .uint16

    @Option(help: "Compression codec (as for convert).")
    var compression: String?

    @Flag(help: "Replace the output if it exists.")
    var overwrite = false

    func run() throws {
        let image = TestPattern(width: size, height: size, colorSpace: color ? .rgb : .gray, seed: seed).render()
        do {
            try ImageFile.write(image, to: output, options: ImageWriteOptions(sampleFormat: sampleFormat, compression: compression, overwrite: overwrite))
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
        print("wrote \(output)")
    }
}
