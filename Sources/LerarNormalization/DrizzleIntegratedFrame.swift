import LerarCore
import LerarIntegration

extension DrizzleAccumulator {
    /// Drops frame `index` of an integration with what that integration did to it: its per-channel weights, its
    /// normalization (the LN `function` evaluated where each drop lands, else the global value·k + d) and without the
    /// samples it rejected. Samples of 0 are no data, as LN and the integration treat them.
    public mutating func add(_ frame: Image, integrated index: Int, of result: IntegrationResult, toReference: any PixelMapping,
                             function: LocalNormalizationFunction?, cfaChannel: ((Int, Int) -> Int)? = nil) {
        let report = result.frames[index], masks = result.rejectedSamples
        add(frame, toReference: toReference, channelWeights: report.weights, cfaChannel: cfaChannel, value: { channel, sample, at in
            guard sample.isFinite, sample != 0 else { return nil }
            if let masks, masks.isRejected(frame: index, channel: channel, x: Int(at.x.rounded()), y: Int(at.y.rounded())) { return nil }
            if let function { return Float(function.offsets[channel].value(x: at.x, y: at.y)) + Float(function.scales[channel]) * sample }
            return sample * Float(report.normalizationScale[channel]) + Float(report.normalizationOffset[channel])
        })
    }
}
