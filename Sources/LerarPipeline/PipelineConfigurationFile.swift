import Foundation
import LerarCore
import Yams

/// Reads and prints `lerar run` configuration files (YAML; JSON is valid YAML). A file holds only what differs from
/// the defaults; keys are checked against the documented list.
public enum PipelineConfigurationFile {
    /// One documented key: section, name, and why the default is what it is; `{default}` in the help is replaced by
    /// the default value when printed.
    public struct Entry: Sendable {
        public let section: String, key: String, help: String
    }

    /// Every key with its meaning and the source of its default.
    public static let entries: [Entry] = [
        Entry(section: "link", key: "groupBy", help: "Extra grouping keywords, from headers or KEY_value in folder/file names: KEY or KEY:pre (calibration only, e.g. NIGHT), KEY:post (separate stacks), KEY:both (WBPP's keyword modes)"),
        Entry(section: "link", key: "temperatureTolerance", help: "Sensor temperatures within this many °C link ({default}; WBPP has no tolerance); among fitting masters the nearest in temperature, then in time, wins"),
        Entry(section: "link", key: "typeFrom", help: "path or header: which wins when IMAGETYP and the folder/file name disagree ({default}: CCDSoft and others mislabel flats as 'Light Frame'; WBPP uses header); conflicts are listed with ⚠"),
        Entry(section: "link", key: "flatsPerNight", help: "Lights take the flats of their own observing night (NIGHT_x/SESSION_x folders, DATE-LOC, DATE-OBS + site longitude), else the nearest in time with ⚠; darks and bias are shared across nights; all nights still integrate into one stack ({default})"),
        Entry(section: "link", key: "minimumFrames", help: "Calibration groups with fewer frames are linked with ⚠ ({default}: fewer cannot reject outliers and add ≥ 10 % noise)"),
        Entry(section: "link", key: "overrides", help: "Link overrides file (as `lerar link --overrides`): forced masters and LN references; relative to the config file"),
        Entry(section: "link", key: "allowMissing", help: "Go on when a light group has no valid master: those lights are skipped, never calibrated wrongly ({default})"),
        Entry(section: "calibration", key: "required", help: "Every light needs all its masters ({default}). false: lights without them (a smart telescope's, or ones calibrated elsewhere) are registered and integrated with what there is, each gap warned"),
        Entry(section: "calibration", key: "overscan", help: "Subtract the overscan region (BIASSEC, a smoothed median per line) and trim to TRIMSEC/DATASEC, on every frame and master ({default}; CCDs with overscan only)"),
        Entry(section: "calibration", key: "pedestal", help: "Added to calibrated lights, ADU, recorded as PEDESTAL ({default}, WBPP's light output pedestal)"),
        Entry(section: "calibration", key: "optimizeDark", help: "Scale the master dark to minimise noise ({default}, as WBPP)"),
        Entry(section: "calibration", key: "cosmeticCorrection", help: "Replace hot pixels (master dark) and cold pixels / dead columns (master flat) ({default})"),
        Entry(section: "calibration", key: "hotSigma", help: "Hot pixel: dark current above median + this many σ ({default})"),
        Entry(section: "calibration", key: "coldFraction", help: "Cold pixel: flat response below this fraction of the local median ({default})"),
        Entry(section: "debayer", key: "method", help: "One-shot-colour lights (BAYERPAT) are debayered after calibration: vng (PixInsight's and WBPP's default; ratio-corrected for star colours), bilinear or superpixel (half size)"),
        Entry(section: "debayer", key: "pattern", help: "RGGB, BGGR, GRBG or GBRG replacing every light's BAYERPAT ({default}: the header's, moved by XBAYROFF/YBAYROFF and ROWORDER)"),
        Entry(section: "selection", key: "minimumWeight", help: "Frames below this fraction of their group's best PSF signal weight are rejected ({default}, WBPP minWeight)"),
        Entry(section: "selection", key: "minimumStars", help: "Frames with fewer detected stars are rejected ({default}: too few to register)"),
        Entry(section: "selection", key: "minimumDataFraction", help: "Frames whose share of pixels holding data (finite, not 0) is below this are rejected ({default}: a half-empty frame is a failed download or a corrupt file)"),
        Entry(section: "selection", key: "maximumFWHM", help: "Frames with a median FWHM above this, px, are rejected ({default}: no limit)"),
        Entry(section: "registration", key: "model", help: "similarity, affine or homography ({default}, as Siril)"),
        Entry(section: "registration", key: "interpolation", help: "lanczos3, bicubic or bilinear ({default}, as PixInsight StarAlignment)"),
        Entry(section: "registration", key: "clampingThreshold", help: "Lanczos clamping against ringing ({default}, PixInsight)"),
        Entry(section: "registration", key: "reference", help: "Registration reference file ({default}: per panel, the frame with most stars per FWHM², WBPP auto)"),
        Entry(section: "registration", key: "panelKeywords", help: "Keywords that tell mosaic panels apart (OBJECT, PANEL); each panel gets its own references and stacks"),
        Entry(section: "normalization", key: "method", help: "local (Local Normalization, WBPP default) or none (additive + scaling at integration)"),
        Entry(section: "normalization", key: "scale", help: "LN scale, px ({default}, PixInsight; halved to fit small frames)"),
        Entry(section: "normalization", key: "referenceFrames", help: "LN reference = average of the best N registered frames per filter and panel ({default}; WBPP 20; 10…20)"),
        Entry(section: "normalization", key: "flattenReference", help: "Remove the LN reference's own gradient (degree-2 polynomial over star-clipped cells) so every frame is normalized to a flat sky ({default}; WBPP does not: set false for objects that fill the frame, and flatten the stack instead)"),
        Entry(section: "normalization", key: "pedestal", help: "Added by LN to normalized frames, ADU ({default})"),
        Entry(section: "integration", key: "combination", help: "average, median, minimum or maximum ({default})"),
        Entry(section: "integration", key: "rejection", help: "auto, none, minmax, percentile, sigma, winsorized, averaged-sigma, linear-fit, esd ({default}: < 6 frames percentile, else winsorized for LN-normalized frames (measured); without LN ≤ 15 winsorized, else linear fit, WBPP 3)"),
        Entry(section: "integration", key: "sigmaLow", help: "Sigma clipping low limit ({default}, PixInsight)"),
        Entry(section: "integration", key: "sigmaHigh", help: "Sigma clipping high limit ({default}, PixInsight)"),
        Entry(section: "integration", key: "winsorizationCutoff", help: "Winsorization cutoff, σ ({default}, PixInsight)"),
        Entry(section: "integration", key: "linearFitLow", help: "Linear fit clipping low tolerance ({default}, PixInsight)"),
        Entry(section: "integration", key: "linearFitHigh", help: "Linear fit clipping high tolerance ({default}, PixInsight)"),
        Entry(section: "integration", key: "percentileLow", help: "Percentile clipping low ({default}, PixInsight)"),
        Entry(section: "integration", key: "percentileHigh", help: "Percentile clipping high ({default}, PixInsight)"),
        Entry(section: "integration", key: "weights", help: "psf-snr ((star flux scale / noise)², the normalized frame's star SNR), psf-signal (PixInsight's PSF Signal Weight, WBPP's default; favours sharp frames), noise, exposure or none"),
        Entry(section: "integration", key: "rejectionMaps", help: "Write low/high rejection maps beside each master ({default}, WBPP)"),
        Entry(section: "integration", key: "minimumFrames", help: "Groups with fewer accepted frames are not integrated ({default}, WBPP)"),
        Entry(section: "integration", key: "autocrop", help: "Also write masters cropped to the area every frame covers, the same crop for all filters of a panel ({default}, WBPP)"),
        Entry(section: "integration", key: "drizzle", help: "Drizzle scale ({default}: off; 2 as PixInsight and Siril): each stack is also drizzled from its calibrated frames through their registration, with the integration's weights, LN and pixel rejection, beside a coverage map"),
        Entry(section: "integration", key: "dropShrink", help: "Drizzle drop size, fraction of a pixel ({default}, PixInsight)"),
        Entry(section: "integration", key: "drizzleKernel", help: "square or gaussian drizzle drops ({default}, PixInsight)"),
        Entry(section: "integration", key: "drizzleCFA", help: "Bayer drizzle for one-shot-colour stacks: the calibrated mosaic is kept and each sample drops only into its filter's channel, nothing interpolated ({default}, as WBPP's CFA drizzle for OSC)"),
        Entry(section: "output", key: "format", help: "xisf or fits, 32-bit float ({default})"),
        Entry(section: "output", key: "keepIntermediates", help: "Write calibrated/, registered/ and normalized/ frames and keep them after a successful run ({default}: frames pass between stages in memory, LN is applied inside the integration)"),
        Entry(section: "output", key: "memoryBudget", help: "MB for the calibrated and registered frames passed between stages in memory (when all of them fit in three quarters of it; else they go through files) and the integration's pixel stacks; it also bounds the frames calibrated and registered at once, about \(FramesInFlight.imagesPerFrame) frame images each, at least \(Parallel.minimumFrameWorkers) ({default})"),
        Entry(section: "output", key: "previews", help: "Autostretched PNG previews of masters and stacks in report/ ({default})"),
        Entry(section: "finish", key: "mode", help: "auto: a panel with R, G and B stacks (and L if any) or a colour (OSC) stack is finished into final/ (RGB_linear.xisf, LRGB or RGB .xisf/.tif/.png); off: stop at the linear masters ({default})"),
        Entry(section: "finish", key: "linearFit", help: "LinearFit R, G, B to the channel with the highest median before combining ({default}; the 'linear link')"),
        Entry(section: "finish", key: "backgroundNeutralization", help: "Make the sky grey, measured on the darkest star-free cells ({default}; PixInsight BackgroundNeutralization with an automatic reference)"),
        Entry(section: "finish", key: "backgroundRegion", help: "A sky rectangle [x, y, width, height] in the masters' px for BackgroundNeutralization, with PixInsight's limits 0…0.1 ({default}: the darkest star-free cells, found automatically)"),
        Entry(section: "finish", key: "colorCalibration", help: "White balance with the average star as white, from aperture photometry of unsaturated stars ({default})"),
        Entry(section: "finish", key: "scnr", help: "SCNR against what green is left after calibration ({default})"),
        Entry(section: "finish", key: "scnrMethod", help: "average-neutral, maximum-neutral (keeps teal OIII), maximum-mask or additive-mask ({default}, PixInsight)"),
        Entry(section: "finish", key: "scnrAmount", help: "SCNR strength 0…1 ({default}, PixInsight)"),
        Entry(section: "finish", key: "deconvolution", help: "Regularised Richardson–Lucy on L (or the RGB's luminance) with the PSF fitted on the LN reference ({default})"),
        Entry(section: "finish", key: "deconvolutionIterations", help: "Most RL iterations ({default}; it also stops when an iteration changes the signal by < 0.2 %, Siril's rule)"),
        Entry(section: "finish", key: "deringingAmount", help: "How much of each update the bright stars' support holds back, 0…1 ({default}, measured: docs/finish.md)"),
        Entry(section: "finish", key: "stretch", help: "auto (STF auto-stretch as a HistogramTransformation), arcsinh (keeps star colour) or histogram (shadows, midtones, highlights below) ({default})"),
        Entry(section: "finish", key: "targetBackground", help: "Where the auto-stretch puts the sky ({default}, PixInsight STF)"),
        Entry(section: "finish", key: "linkedStretch", help: "One auto-stretch for R, G and B (keeps the colour balance) or one per channel (hides casts; for inspection) ({default}, PixInsight STF)"),
        Entry(section: "finish", key: "shadows", help: "stretch: histogram: shadows clipping point, 0…1 ({default})"),
        Entry(section: "finish", key: "midtones", help: "stretch: histogram: midtones balance, 0…1 ({default}: the identity; below 0.5 brightens)"),
        Entry(section: "finish", key: "highlights", help: "stretch: histogram: highlights clipping point ({default})"),
        Entry(section: "finish", key: "arcsinhStretch", help: "Stretch factor β of the arcsinh stretch ({default})"),
        Entry(section: "finish", key: "saturation", help: "LRGBCombination's saturation balance: below 0.5 saturates, weighted by lightness ({default}, the identity)"),
        Entry(section: "finish", key: "chrominanceNoiseReduction", help: "Smooth the LRGB's a*, b* chroma where it is noise-level ({default}, PixInsight)"),
    ]

    /// The defaults as a commented YAML document (what `lerar run --print-config` prints).
    public static func defaultsDocument() throws -> String {
        let node = try Yams.compose(yaml: YAMLEncoder().encode(PipelineConfiguration()))
        var lines = ["# lerar run configuration. Keep only the keys you change; the rest take these defaults.", ""]
        var section = ""
        for entry in entries {
            if entry.section != section {
                section = entry.section
                if lines.last != "" { lines.append("") }
                lines.append("\(section):")
            }
            let value: Node? = node?.mapping?[Node(section)]?.mapping?[Node(entry.key)]
            let rendered: String
            if let sequence = value?.sequence {
                rendered = "[" + sequence.map { $0.string ?? "" }.joined(separator: ", ") + "]"
            } else {
                let text: String = try value.map { try Yams.serialize(node: $0) } ?? "null"
                rendered = String(humanNumbers("k: " + text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: " ")).dropFirst(3))
            }
            // The comment's default is the value itself, so the two cannot disagree.
            lines.append("  # " + entry.help.replacingOccurrences(of: "{default}", with: rendered))
            lines.append("  \(entry.key): \(rendered)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads a configuration file: its keys over the defaults. Relative paths in it are resolved against its folder.
    public static func read(_ path: String) throws -> PipelineConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PipelineError.badConfiguration(path: path, reason: "cannot be read")
        }
        var configuration = try parse(String(decoding: data, as: UTF8.self), path: path)
        let folder = (path as NSString).deletingLastPathComponent
        func resolve(_ value: String?) -> String? {
            guard let value, !value.hasPrefix("/") else { return value }
            return (folder as NSString).appendingPathComponent(value)
        }
        configuration.link.overrides = resolve(configuration.link.overrides)
        configuration.registration.reference = resolve(configuration.registration.reference)
        return configuration
    }

    public static func parse(_ text: String, path: String? = nil) throws -> PipelineConfiguration {
        let user: Node?
        do { user = try Yams.compose(yaml: text) } catch {
            throw PipelineError.badConfiguration(path: path, reason: "not YAML/JSON: \(error)")
        }
        guard var merged = try Yams.compose(yaml: YAMLEncoder().encode(PipelineConfiguration())), var root = merged.mapping else {
            throw PipelineError.badConfiguration(path: path, reason: "internal: defaults cannot be encoded")
        }
        if let user {
            guard let sections = user.mapping else { throw PipelineError.badConfiguration(path: path, reason: "the top level must be a mapping of sections") }
            for (sectionNode, content) in sections {
                let section = sectionNode.string ?? ""
                guard entries.contains(where: { $0.section == section }) else {
                    throw PipelineError.badConfiguration(path: path, reason: "unknown section '\(section)' (sections: \(sectionNames.joined(separator: ", ")))")
                }
                guard let keys = content.mapping else { throw PipelineError.badConfiguration(path: path, reason: "section '\(section)' must be a mapping") }
                var target = root[Node(section)]?.mapping ?? Node.Mapping([])
                for (keyNode, value) in keys {
                    let key = keyNode.string ?? ""
                    guard entries.contains(where: { $0.section == section && $0.key == key }) else {
                        let known = entries.filter { $0.section == section }.map(\.key).joined(separator: ", ")
                        throw PipelineError.badConfiguration(path: path, reason: "unknown key '\(section).\(key)' (known: \(known))")
                    }
                    target[Node(key)] = value.scalar?.string == "null" || value.scalar?.string == "~" ? nil : value
                }
                root[Node(section)] = Node(target.map { ($0.key, $0.value) })
            }
        }
        merged = Node(root.map { ($0.key, $0.value) })
        let configuration: PipelineConfiguration
        do { configuration = try YAMLDecoder().decode(PipelineConfiguration.self, from: merged) } catch let error as DecodingError {
            throw PipelineError.badConfiguration(path: path, reason: describe(error))
        }
        do { try configuration.validate() } catch let PipelineError.badConfiguration(_, reason) {
            throw PipelineError.badConfiguration(path: path, reason: reason)
        }
        return configuration
    }

    static var sectionNames: [String] { entries.reduce(into: [String]()) { if !$0.contains($1.section) { $0.append($1.section) } } }

    static func describe(_ error: DecodingError) -> String {
        func at(_ path: [CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        switch error {
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            return "\(at(context.codingPath)): \(context.debugDescription)"
        case let .keyNotFound(key, context):
            return "\(at(context.codingPath + [key])): missing"
        @unknown default:
            return "\(error)"
        }
    }

    /// The configuration as YAML (recorded in logs/ so a run can be repeated).
    public static func yaml(_ configuration: PipelineConfiguration) throws -> String { humanNumbers(try YAMLEncoder().encode(configuration)) }

    /// YAML with numbers as people write them: the encoder's `2e+0` and `5e-2` become `2` and `0.05`.
    static func humanNumbers(_ yaml: String) -> String {
        yaml.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let colon = line.range(of: ": ", options: .backwards) ?? line.range(of: "- ") else { return String(line) }
            let value = line[colon.upperBound...]
            guard value.contains("e"), value.allSatisfy({ "0123456789.e+-".contains($0) }), let number = Double(value) else { return String(line) }
            let text = number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : "\(number)"
            return line[..<colon.upperBound] + text
        }.joined(separator: "\n")
    }
}
