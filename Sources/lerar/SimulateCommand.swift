import ArgumentParser
import Foundation
import LerarCore
import LerarSimulator

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Write a realistic simulated night (lights, darks, flats, bias, dark-flats) with its ground truth.",
        discussion: """
        Frames are 16-bit files with the keywords a capture program (N.I.N.A.) writes, in folders lights/, darks/,
        flats/, bias/, darkflats/. truth/ holds each light's transform to its panel's reference frame, the star
        catalogue, the noise-free sky per filter, the optical transmission, the sensor defects and the
        configuration. The same seed always gives the same files.
        """
    )

    @Option(help: "Output folder.", completion: .directory)
    var out: String

    @Option(parsing: .upToNextOption, help: "Frame width and height in px (default 1024 1024).")
    var size: [Int] = [1024, 1024]

    @Option(help: "Lights per filter (and per panel).")
    var lights = 12

    @Option(help: "Comma-separated filters.")
    var filters = "L"

    @Option(help: "Light exposure in s.")
    var exposure = 300.0

    @Flag(help: "One-shot colour camera (RGGB Bayer mosaic, no filters).")
    var osc = false

    @Flag(help: "Undersampled stars (FWHM 1.2–1.6 px instead of 2.6–3.6 px), as a short focal length with large pixels gives.")
    var undersampled = false

    @Option(help: "Number of mosaic panels.")
    var mosaic = 1

    @Option(help: "Observing nights, each with its own lights, flats and dust under NIGHT_n/ (darks, dark-flats and bias shared); --lights counts per night.")
    var nights = 1

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "File format: fits, xisf or dng (camera raw as a DSLR writes it; needs --osc).")
    var format = "fits"

    @Option(help: ArgumentHelp("Seeing of the subs: FWHM range in px, as MIN-MAX (default 2.6-3.6; the middle sub gets MAX).", valueName: "min-max"))
    var seeing: String?

    @Option(help: ArgumentHelp("Transparency range of the subs, as MIN-MAX (default 0.85-1; 1 = clear).", valueName: "min-max"))
    var transparency: String?

    @Option(help: "Exactly this many lights per filter crossed by a satellite trail (default: about one in five, drawn).")
    var trails: Int?

    @Flag(help: "Add a large faint object (a galaxy's disc, 12 % of the sky at its centre) that flattening must keep.")
    var extendedObject = false

    @Flag(help: "Add a cloudy sub per filter.")
    var cloudy = false

    @Flag(help: "Add a starless sub per filter.")
    var starless = false

    @Flag(help: "Replace existing files.")
    var overwrite = false

    @Flag(help: "Print a JSON summary.")
    var json = false

    func validate() throws {
        guard size.count == 2, size.allSatisfy({ $0 >= 64 && $0 <= 16384 }) else { throw ValidationError("--size takes two values, 64 to 16384 px") }
        guard lights >= 1 else { throw ValidationError("--lights must be at least 1") }
        guard (1...4).contains(mosaic) else { throw ValidationError("--mosaic takes 1 to 4 panels") }
        guard (1...7).contains(nights) else { throw ValidationError("--nights takes 1 to 7 nights") }
        guard ["fits", "xisf", "dng"].contains(format) else { throw ValidationError("--format is fits, xisf or dng") }
        guard format != "dng" || osc else { throw ValidationError("--format dng writes a colour camera's raw files: add --osc") }
        guard exposure > 0 else { throw ValidationError("--exposure must be positive") }
        if let seeing { guard let range = Self.range(seeing), range.lowerBound > 0.5, range.upperBound < 30 else {
            throw ValidationError("--seeing takes MIN-MAX in px, e.g. 2.2-4.5") } }
        if let transparency { guard let range = Self.range(transparency), range.lowerBound > 0, range.upperBound <= 1 else {
            throw ValidationError("--transparency takes MIN-MAX between 0 and 1, e.g. 0.6-1") } }
        if let trails { guard (0...lights).contains(trails) else { throw ValidationError("--trails takes 0 to --lights") } }
    }

    func run() throws {
        var configuration = SessionConfiguration()
        configuration.width = size[0]
        configuration.height = size[1]
        configuration.lightsPerFilter = lights
        configuration.filters = filters.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        configuration.exposure = exposure
        configuration.oneShotColor = osc
        if undersampled { configuration.fwhmRange = SessionConfiguration.undersampledFWHM }
        configuration.panels = mosaic
        configuration.nights = nights
        configuration.seed = seed
        configuration.format = format
        configuration.cloudySub = cloudy
        if let seeing { configuration.fwhmRange = Self.range(seeing)! }
        if let transparency { configuration.transparencyRange = Self.range(transparency)! }
        configuration.trailCount = trails
        if extendedObject { configuration.extendedObject = .standard(width: size[0], height: size[1]) }
        configuration.starlessSub = starless
        let writer = SessionWriter(configuration: configuration)
        let progress = ProgressReporter("simulating frames")
        let summary: SessionWriter.Summary
        do {
            summary = try writer.write(to: out, overwrite: overwrite) { progress.update($0, of: $1) }
        } catch {
            Terminal.error(Terminal.describe(error))
            throw ExitCode.failure
        }
        if json { try Terminal.printJSON(summary); return }
        print("Simulated session in \(out) (\(String(format: "%.1f", summary.seconds)) s, \(summary.bytes / 1_000_000) MB):")
        var folders: [String: Int] = [:]
        for file in summary.files { folders[URL(fileURLWithPath: file).deletingLastPathComponent().relativePath, default: 0] += 1 }
        for (folder, count) in folders.sorted(by: { $0.key < $1.key }) { print("  \(folder)/  \(count) frames") }
        print("  truth/  session.json, defects.json, stars_panel*.csv, sky_*.fits, transmission_*.fits")
    }

    /// "2.2-4.5" → 2.2...4.5 (nil when not two increasing numbers).
    static func range(_ text: String) -> ClosedRange<Double>? {
        let parts = text.split(separator: "-", maxSplits: 1).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let low = parts[0], let high = parts[1], low <= high else { return nil }
        return low...high
    }
}
