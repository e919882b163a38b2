import ArgumentParser

/// The options of commands that write one output frame per input: format, replacing, and a JSON report.
struct FrameOutputOptions: ParsableArguments {
    @Option(help: "Output format: xisf or fits.")
    var format = "xisf"

    @Flag(help: "Replace existing outputs.")
    var overwrite = false

    @Flag(help: "Print a JSON report.")
    var json = false

    func validate() throws {
        guard ["xisf", "fits"].contains(format) else { throw ValidationError("--format is xisf or fits") }
    }
}
