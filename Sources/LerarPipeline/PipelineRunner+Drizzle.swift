import Foundation
import LerarCalibration
import LerarCore
import LerarDebayer
import LerarIntegration
import LerarIO
import LerarNormalization

/// Drizzle of a stack, after its normal integration: every accepted frame's calibrated pixels dropped through its
/// registration, normalized by its LN function where each drop lands, weighted as in the integration, and without
/// the samples the integration rejected (PixInsight's DrizzleIntegration does the same with ImageIntegration's data).
extension PipelineRunner {
    /// Writes `masterLight_<stack>_drizzle<scale>x` and its coverage map; returns their paths.
    func drizzleStack(_ stack: StackID, members: [Int], result: IntegrationResult, parameters: DrizzleParameters, local: Bool) throws -> (String, String) {
        guard result.rejectedSamples != nil else { throw PipelineError.badConfiguration(path: nil, reason: "internal: drizzle without the integration's rejection") }
        try ensureCalibrated(members)
        let reference = result.image
        var accumulator = DrizzleAccumulator(referenceWidth: reference.width, referenceHeight: reference.height, channels: reference.channelCount, parameters: parameters)
        let start = Date()
        for (position, index) in members.enumerated() {
            guard let registration = frames[index].registration, let transform = registration.transform else { continue }
            // Bayer drizzle: the calibrated mosaic, each sample into its filter's channel; else the debayered frame.
            var cfaChannel: ((Int, Int) -> Int)?
            var image: Image
            if let mosaic = frames[index].mosaic {
                image = try ImageFile.read(mosaic)
                let pattern: CFAPattern
                do { pattern = try CFALayout(metadata: image.metadata, height: image.height, override: configuration.debayer.pattern).pattern } catch {
                    throw ImageIOError.unsupported(path: mosaic, detail: "cannot be Bayer-drizzled: \(error)")
                }
                cfaChannel = { pattern.channel(x: $0, y: $1) }
            } else {
                image = try ImageFile.read(registration.path)
            }
            let function = local ? cache.payload(frames[index].normalizeKey!, as: LocalNormalizationFunction.self) : nil
            if local && function == nil { log.warning("drizzle: no LN function recorded for \(registration.path); dropped without normalization") }
            accumulator.add(image, integrated: position, of: result, toReference: transform, function: function, cfaChannel: cfaChannel)
            observer.advanced("drizzle", done: position + 1, total: members.count)
        }
        var metadata = reference.metadata
        let bayer = members.contains { frames[$0].mosaic != nil }
        metadata.addHistory(String(format: "%@ %@drizzle: scale %.2f, drop shrink %.2f, %@ kernel, %d frames, with the integration's weights, LN and rejection",
                                   LerarVersion.application, bayer ? "Bayer (CFA) " : "", parameters.scale, parameters.dropShrink, parameters.kernel.rawValue, members.count))
        let (image, coverage) = accumulator.result(metadata: metadata)
        let master = masterLightPath(stack)
        let base = (master as NSString).deletingPathExtension + "_drizzle" + LinkFormatting.number(parameters.scale) + "x"
        let options = ImageWriteOptions(sampleFormat: .float32, overwrite: true)
        try ImageFile.write(image, to: base + "." + configuration.output.format, options: options)
        try ImageFile.write(coverage, to: base + OutputLayout.Suffix.coverage.rawValue + "." + configuration.output.format, options: options)
        let seconds = Date().timeIntervalSince(start)
        log.info(String(format: "stack %@: drizzled ×%.2f (%d frames, %.2f s per frame) → %@", stack.name, parameters.scale, members.count,
                        seconds / Double(max(1, members.count)), (base as NSString).lastPathComponent))
        return (base + "." + configuration.output.format, base + OutputLayout.Suffix.coverage.rawValue + "." + configuration.output.format)
    }
}
