import Foundation
import LerarCore

/// Drizzle's drop shapes.
public enum DrizzleKernel: String, Sendable, Codable, CaseIterable {
    /// The drop is a square `dropShrink` px wide; it adds to each output pixel in proportion to their overlap.
    case square
    /// The drop is a Gaussian of FWHM `dropShrink` px (truncated at 2.5 σ), normalised over the pixels it reaches.
    case gaussian
}

/// Settings of drizzle integration; each default is declared here once.
public struct DrizzleParameters: Sendable, Equatable, Codable {
    /// Output px per reference px (2, PixInsight DrizzleIntegration and Siril).
    public var scale = 2.0
    /// Drop size as a fraction of an input pixel (0.9, PixInsight's default "drop shrink").
    public var dropShrink = 0.9
    /// Square (PixInsight's default) or Gaussian drops.
    public var kernel = DrizzleKernel.square

    public init(scale: Double = 2, dropShrink: Double = 0.9, kernel: DrizzleKernel = .square) {
        self.scale = scale; self.dropShrink = dropShrink; self.kernel = kernel
    }
}

/// Drizzle (Fruchter & Hook 2002): every input pixel, shrunk to a drop, is mapped by its frame's registration onto an
/// output grid `scale` times finer than the reference and adds its value there, weighted by the frame's weight and
/// its overlap with each output pixel; the result is the weighted mean of the drops each output pixel received, and
/// the summed weights are the coverage map (0 = no data: NaN in the result). Input pixels are never resampled, so
/// undersampled stars keep the resolution the dithers give them.
///
/// The square drop is placed axis-aligned on the output grid with the area the transform gives it (drizzlepac's
/// "turbo" kernel): exact for shifts and 180° flips, a close approximation for small rotations.
public struct DrizzleAccumulator: Sendable {
    public let parameters: DrizzleParameters
    /// Output size, px.
    public let width: Int, height: Int
    public let channels: Int
    var sums: [Double], weights: [Double]

    /// An accumulator for a reference of `referenceWidth`×`referenceHeight` px with `channels` channels.
    public init(referenceWidth: Int, referenceHeight: Int, channels: Int, parameters: DrizzleParameters = DrizzleParameters()) {
        self.parameters = parameters
        width = Int((Double(referenceWidth) * parameters.scale).rounded())
        height = Int((Double(referenceHeight) * parameters.scale).rounded())
        self.channels = channels
        sums = [Double](repeating: 0, count: width * height * channels)
        weights = sums
    }

    /// Output coordinate of a reference coordinate (pixel centres at integers on both grids).
    @inline(__always) func output(_ reference: (x: Double, y: Double)) -> (x: Double, y: Double) {
        ((reference.x + 0.5) * parameters.scale - 0.5, (reference.y + 0.5) * parameters.scale - 0.5)
    }

    /// Drops every pixel of `frame` through `toReference` (frame px → reference px) with `weight` (times
    /// `channelWeights[channel]` when given). `value` may replace
    /// a sample (normalization) or reject it (nil), given the channel, the sample and where it lands on the reference.
    ///
    /// `cfaChannel` makes this a Bayer (CFA) drizzle: `frame` is a single-plane mosaic and each sample adds only to
    /// the channel of its filter, so no colour is ever interpolated; with enough dithers every channel is filled.
    public mutating func add(_ frame: Image, toReference: any PixelMapping, weight: Double = 1, channelWeights: [Double]? = nil,
                             cfaChannel: ((_ x: Int, _ y: Int) -> Int)? = nil,
                             value: ((_ channel: Int, _ sample: Float, _ reference: (x: Double, y: Double)) -> Float?)? = nil) {
        precondition(cfaChannel == nil ? frame.channelCount == channels : frame.channelCount == 1 && channels == 3,
                     "drizzle of \(frame.channelCount)-channel frames into \(channels) channels")
        let shrink = parameters.dropShrink, scale = parameters.scale
        let outWidth = width, outHeight = height, plane = width * height
        // Room for the output pixels one drop reaches (a drop of the largest area the transform gives, ×4 margin).
        let corner = toReference.apply(1, 0), origin = toReference.apply(0, 0), other = toReference.apply(0, 1)
        let largest = 4 * shrink * scale * max(1, hypot(corner.x - origin.x, corner.y - origin.y), hypot(other.x - origin.x, other.y - origin.y))
        let capacity = Int((2 * largest + 3) * (2 * largest + 3))
        withUnsafeTemporaryAllocation(of: (Int, Double).self, capacity: capacity) { overlaps in
        for y in 0..<frame.height {
            for x in 0..<frame.width {
                let centre = toReference.apply(Double(x), Double(y))
                // The drop's size on the output grid: the transform's local area scale, times shrink and scale.
                let right = toReference.apply(Double(x) + 1, Double(y)), down = toReference.apply(Double(x), Double(y) + 1)
                let area = abs((right.x - centre.x) * (down.y - centre.y) - (right.y - centre.y) * (down.x - centre.x))
                let side = shrink * scale * area.squareRoot()
                let o = output(centre)
                let reach = parameters.kernel == .square ? side / 2 : 2.5 * side / 2.3548
                let x0 = max(0, Int((o.x - reach).rounded())), x1 = min(outWidth - 1, Int((o.x + reach).rounded()))
                let y0 = max(0, Int((o.y - reach).rounded())), y1 = min(outHeight - 1, Int((o.y + reach).rounded()))
                guard x0 <= x1, y0 <= y1 else { continue }
                var count = 0
                var total = 0.0
                for oy in y0...y1 {
                    for ox in x0...x1 {
                        let share: Double
                        if parameters.kernel == .square {
                            let wx = max(0, min(Double(ox) + 0.5, o.x + side / 2) - max(Double(ox) - 0.5, o.x - side / 2))
                            let wy = max(0, min(Double(oy) + 0.5, o.y + side / 2) - max(Double(oy) - 0.5, o.y - side / 2))
                            share = wx * wy
                        } else {
                            let sigma = side / 2.3548, dx = Double(ox) - o.x, dy = Double(oy) - o.y
                            share = exp(-(dx * dx + dy * dy) / (2 * sigma * sigma))
                        }
                        if share > 0, count < capacity { overlaps[count] = (oy * outWidth + ox, share); count += 1; total += share }
                    }
                }
                guard total > 0 else { continue }
                // Every drop weighs its area (side², in output px²): the square gives each pixel its overlap, the
                // Gaussian spreads that area over the pixels it reaches.
                let norm = parameters.kernel == .gaussian ? side * side / total : 1
                let first = cfaChannel?(x, y) ?? 0, last = cfaChannel == nil ? channels - 1 : first
                for channel in first...last {
                    var sample = frame[x, y, cfaChannel == nil ? channel : 0]
                    if let value {
                        guard let replaced = value(channel, sample, centre) else { continue }
                        sample = replaced
                    }
                    guard sample.isFinite else { continue }
                    for (index, share) in overlaps[0..<count] {
                        let w = weight * (channelWeights?[channel] ?? 1) * share * norm
                        sums[channel * plane + index] += w * Double(sample)
                        weights[channel * plane + index] += w
                    }
                }
            }
        }
        }
    }

    /// The drizzled image (NaN where no drop fell) and the coverage map (summed drop weights per output pixel).
    public func result(metadata: ImageMetadata = ImageMetadata()) -> (image: Image, coverage: Image) {
        let colorSpace: ColorSpace = channels == 3 ? .rgb : .gray
        var image = Image(width: width, height: height, colorSpace: colorSpace, metadata: metadata)
        var coverage = Image(width: width, height: height, colorSpace: colorSpace)
        image.withMutableSamples { out in
            for i in 0..<out.count { out[i] = weights[i] > 0 ? Float(sums[i] / weights[i]) : .nan }
        }
        coverage.withMutableSamples { out in for i in 0..<out.count { out[i] = Float(weights[i]) } }
        return (image, coverage)
    }
}
