import Foundation
import LerarCore

/// Autostretched 8-bit previews of linear images, as PixInsight's ScreenTransferFunction "auto": shadows clipped
/// at median − 2.8 × 1.4826·MAD, midtones set so the median lands at 0.25 (PCL AutoStretch defaults). NaN (no
/// data) is shown black.
public enum PreviewRenderer {
    /// STF parameters of one channel: shadows clip c0 and midtones balance m, on the image's own [0, 1] scale.
    public struct Stretch: Sendable, Equatable {
        public var shadows: Double, midtones: Double
    }

    /// Shadows clipping in MAD units and target background: `ScreenTransferDefaults` (−2.8, 0.25).
    public static let shadowsClipping = ScreenTransferDefaults.shadowsClipping, targetBackground = ScreenTransferDefaults.targetBackground

    /// Midtones transfer function MTF(m, x).
    public static func mtf(_ m: Double, _ x: Double) -> Double { midtonesTransfer(m, x) }

    /// Auto-stretch parameters of samples normalised to [0, 1].
    public static func autoStretch(_ samples: [Float]) -> Stretch {
        let median = samples.withUnsafeBufferPointer { RobustStatistics.median($0) }
        guard median.isFinite else { return Stretch(shadows: 0, midtones: 0.5) }
        let deviations = samples.map { abs($0 - Float(median)) }
        let mad = 1.4826 * deviations.withUnsafeBufferPointer { RobustStatistics.median($0) }
        let c0 = min(max(0, median + shadowsClipping * mad), 1)
        let m = mtf(targetBackground, median - c0)
        return Stretch(shadows: c0, midtones: m)
    }

    /// An 8-bit preview of `image` (grey, or RGB for three channels), block-averaged down to at most `maxWidth` px.
    public static func render(_ image: Image, maxWidth: Int = 640) -> (width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        let factor = max(1, Int((Double(image.width) / Double(maxWidth)).rounded(.up)))
        let width = image.width / factor, height = image.height / factor
        let channels = image.channelCount >= 3 ? 3 : 1
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        for channel in 0..<channels {
            let reduced = image.withChannel(channel) { plane in binned(plane, width: image.width, factor: factor, outWidth: width, outHeight: height) }
            let finite = reduced.filter(\.isFinite)
            let low = Double(finite.min() ?? 0), high = Double(finite.max() ?? 1)
            // Masters of lights are in [0, 1]; anything else (darks in ADU, rejection maps) is rescaled first.
            let (offset, span) = low >= 0 && high <= 1 ? (0.0, 1.0) : (low, max(high - low, 1e-30))
            let scaled = reduced.map { Float((Double($0) - offset) / span) }
            let stretch = autoStretch(scaled)
            for i in 0..<(width * height) {
                let x = Double(scaled[i])
                guard x.isFinite else { continue }
                let clipped = stretch.shadows >= 1 ? 0 : (x - stretch.shadows) / (1 - stretch.shadows)
                pixels[i * channels + channel] = UInt8((255 * mtf(stretch.midtones, clipped)).rounded())
            }
        }
        return (width, height, channels, pixels)
    }

    /// PNG bytes of the autostretched preview.
    public static func png(_ image: Image, maxWidth: Int = 640) -> Data {
        let preview = render(image, maxWidth: maxWidth)
        return PNGEncoder.encode(width: preview.width, height: preview.height, channels: preview.channels, pixels: preview.pixels)
    }

    /// An 8-bit PNG of a display-ready image (already stretched to [0, 1]; no further stretch), block-averaged down
    /// to at most `maxWidth` px; no data is black.
    public static func displayPNG(_ image: Image, maxWidth: Int) -> Data {
        let factor = max(1, Int((Double(image.width) / Double(maxWidth)).rounded(.up)))
        let width = max(1, image.width / factor), height = max(1, image.height / factor), channels = image.channelCount >= 3 ? 3 : 1
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        for channel in 0..<channels {
            let reduced = image.withChannel(channel) { binned($0, width: image.width, factor: factor, outWidth: width, outHeight: height) }
            for i in 0..<(width * height) where reduced[i].isFinite {
                pixels[i * channels + channel] = UInt8((255 * min(1, max(0, reduced[i]))).rounded())
            }
        }
        return PNGEncoder.encode(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Grey previews side by side (each stretched on its own), separated by a black gap: LRGB stacks at a glance.
    public static func sideBySide(_ images: [Image], maxWidth: Int = 480, gap: Int = 8) -> Data {
        let previews = images.map { render($0, maxWidth: maxWidth) }
        let height = previews.map(\.height).max() ?? 1
        let width = previews.reduce(0) { $0 + $1.width } + gap * max(0, previews.count - 1)
        var pixels = [UInt8](repeating: 0, count: max(1, width) * height)
        var x0 = 0
        for preview in previews {
            for y in 0..<preview.height {
                for x in 0..<preview.width { pixels[y * width + x0 + x] = preview.pixels[(y * preview.width + x) * preview.channels] }
            }
            x0 += preview.width + gap
        }
        return PNGEncoder.encode(width: max(1, width), height: height, channels: 1, pixels: pixels)
    }

    static func binned(_ plane: UnsafeBufferPointer<Float>, width: Int, factor: Int, outWidth: Int, outHeight: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: outWidth * outHeight)
        for y in 0..<outHeight {
            for x in 0..<outWidth {
                var sum: Float = 0, n = 0
                for dy in 0..<factor {
                    let row = (y * factor + dy) * width + x * factor
                    for dx in 0..<factor where plane[row + dx].isFinite { sum += plane[row + dx]; n += 1 }
                }
                if n > 0 { out[y * outWidth + x] = sum / Float(n) }
            }
        }
        return out
    }
}
