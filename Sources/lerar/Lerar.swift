import ArgumentParser
import LerarCore

@main
struct Lerar: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lerar",
        abstract: "Astrophotography pre-processing: link, calibrate, register, normalize and integrate a night of subs.",
        discussion: """
        Images are read as FITS (.fits .fit .fts .fz) or XISF (.xisf). Integer data is normalised to [0,1]
        (ADU / 65535 for 16-bit cameras), as PixInsight and Siril do.
        """,
        version: LerarVersion.string,
        subcommands: [RunCommand.self, PlanCommand.self, StepCommand.self, InfoCommand.self, ConvertCommand.self, LinkCommand.self, MastersCommand.self, CalibrateCommand.self, DebayerCommand.self, MeasureCommand.self, RegisterCommand.self, LNReferenceCommand.self, NormalizeCommand.self, LinearFitCommand.self, BackgroundCommand.self, IntegrateCommand.self, FinishCommand.self, SimulateCommand.self, VerifyCommand.self, TestPatternCommand.self]
    )

    static func main() {
        MemoryArenas.useOne()
        main(nil)
    }
}
