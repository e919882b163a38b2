import LerarCore

/// Where BackgroundNeutralization puts the background of every channel.
public enum NeutralBackgroundTarget: Sendable, Equatable, Codable {
    /// The mean of the channels' backgrounds: the sky keeps its pedestal, so no sample becomes a negative or a real zero.
    case meanOfChannels
    /// Zero, then rescaled into [0,1] if needed: PixInsight's RescaleAsNeeded default.
    case zero
    /// A given level, image units: PixInsight's TargetBackground mode.
    case value(Double)
}

/// Settings of BackgroundNeutralization; each default is declared here once.
public struct BackgroundNeutralizationParameters: Sendable, Equatable, Codable {
    /// Where the sky is measured (default automatic).
    public var reference = BackgroundReferenceParameters()
    /// Default: the mean of the channels' backgrounds. PixInsight's default moves them to 0 and rescales, which puts
    /// half the sky's noise below zero; the stretch after it places the shadows anyway.
    public var target: NeutralBackgroundTarget = .meanOfChannels

    public init(reference: BackgroundReferenceParameters = .init(), target: NeutralBackgroundTarget = .meanOfChannels) {
        self.reference = reference
        self.target = target
    }
}

/// The neutralized image and the backgrounds before and after.
public struct BackgroundNeutralizationResult: Sendable {
    public var image: Image
    public var before: BackgroundReference
    /// The level every channel's background now has, image units.
    public var targetLevel: Double
}

/// PixInsight's BackgroundNeutralization: an offset per channel so the sky is grey.
public enum BackgroundNeutralization {
    /// `image` (RGB) with each channel shifted so its background equals the target.
    public static func apply(to image: Image, parameters: BackgroundNeutralizationParameters = .init()) throws -> BackgroundNeutralizationResult {
        guard image.channelCount == 3 else { throw PostProcessingError.invalidInput("BackgroundNeutralization needs a colour image, got \(image.channelCount) channel(s)") }
        let reference = try BackgroundReference.measure(image, parameters: parameters.reference)
        let target: Double
        switch parameters.target {
        case .meanOfChannels: target = reference.levels.reduce(0, +) / Double(reference.levels.count)
        case .zero: target = 0
        case .value(let value): target = value
        }
        var output = image
        for channel in 0..<3 {
            let shift = Float(target - reference.levels[channel])
            output.withMutableChannel(channel) { plane in
                let shared = UnsafeSendable(plane)
                Parallel.forEachChunk(count: plane.count) { range in for i in range { shared.value[i] += shift } }
            }
        }
        if parameters.target == .zero { output = RangeNormalization.rescaledIfNeeded(output) }
        return BackgroundNeutralizationResult(image: output, before: reference, targetLevel: target)
    }
}

/// PixInsight's "Normalize" step: rescale into [0,1] only when samples left it.
enum RangeNormalization {
    static func rescaledIfNeeded(_ image: Image) -> Image {
        let stats = image.statistics()
        let low = stats.map(\.minimum).min() ?? 0, high = stats.map(\.maximum).max() ?? 1
        guard low < 0 || high > 1, high > low else { return image }
        var output = image
        let lo = Float(min(0, low)), span = Float(max(1, high) - min(0, low))
        output.withMutableSamples { samples in
            let shared = UnsafeSendable(samples)
            Parallel.forEachChunk(count: samples.count) { range in for i in range { shared.value[i] = (shared.value[i] - lo) / span } }
        }
        return output
    }
}
