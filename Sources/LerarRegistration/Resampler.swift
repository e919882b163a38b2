import Foundation
import LerarCore

/// Resamples an image through a geometric transform: Lanczos-3 (default), bicubic (Keys, a = −0.5) or bilinear, with
/// PixInsight's clamping of negative lobes against ringing (threshold 0.3; shared/reference/registration.md §6.1).
/// Output pixels whose source falls outside the image are "no data" (NaN); NaN source samples are left out.
public struct Resampler: Sendable {
    public enum Interpolation: String, Sendable, Codable, CaseIterable {
        case lanczos3, bicubic, bilinear

        var radius: Int {
            switch self {
            case .lanczos3: 3
            case .bicubic: 2
            case .bilinear: 1
            }
        }
    }

    public var interpolation: Interpolation
    /// Clamping threshold in [0,1]; negative disables clamping (PixInsight default 0.3).
    public var clampingThreshold: Double

    /// Kernel samples every 1/4096 px (PCL's LUT resolution, accurate to ~1e-7), so no sine is evaluated per pixel.
    let table: [Double]
    static let tableResolution = 4096.0

    public init(interpolation: Interpolation = .lanczos3, clampingThreshold: Double = 0.3) {
        self.interpolation = interpolation
        self.clampingThreshold = clampingThreshold
        let count = interpolation.radius * Int(Self.tableResolution) + 2
        table = (0..<count).map { Self.exactKernel(interpolation, Double($0) / Self.tableResolution) }
    }

    /// Kernel weight at distance `d` px, interpolated from the table.
    @inline(__always) func kernel(_ d: Double) -> Double {
        let position = abs(d) * Self.tableResolution
        let index = Int(position)
        guard index + 1 < table.count else { return 0 }
        let fraction = position - Double(index)
        return table[index] + fraction * (table[index + 1] - table[index])
    }

    /// Kernel weight at distance `d` px.
    static func exactKernel(_ interpolation: Interpolation, _ d: Double) -> Double {
        let x = abs(d)
        switch interpolation {
        case .lanczos3:
            if x < 1e-9 { return 1 }
            guard x < 3 else { return 0 }
            let px = Double.pi * x
            return 3 * sin(px) * sin(px / 3) / (px * px)
        case .bicubic:
            let a = -0.5
            if x <= 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
            return 0
        case .bilinear:
            return max(0, 1 - x)
        }
    }

    /// An image of `width`×`height` whose pixel (x, y) takes the source's value at `outputToSource(x, y)`.
    public func resample(_ source: Image, outputToSource: AffineTransform2D, width: Int, height: Int) -> Image {
        var output = Image(width: width, height: height, colorSpace: source.colorSpace, metadata: source.metadata)
        let sw = source.width, sh = source.height
        for channel in 0..<source.channelCount {
            source.withChannel(channel) { input in
                output.withMutableChannel(channel) { out in
                    let shared = UnsafeSendable((input, out))
                    Parallel.forEachChunk(count: height, minimumChunkSize: 8) { rows in
                        let (input, out) = shared.value
                        let taps = 2 * interpolation.radius
                        var wx = [Double](repeating: 0, count: taps), wy = wx
                        var ix = [Int](repeating: 0, count: taps), iy = ix
                        for y in rows {
                            for x in 0..<width {
                                let (sx, sy) = outputToSource.apply(Double(x), Double(y))
                                guard sx >= -0.5, sy >= -0.5, sx <= Double(sw) - 0.5, sy <= Double(sh) - 0.5 else {
                                    out[y * width + x] = .nan
                                    continue
                                }
                                let x0 = Int(sx.rounded(.down)) - interpolation.radius + 1, y0 = Int(sy.rounded(.down)) - interpolation.radius + 1
                                for k in 0..<taps {
                                    wx[k] = kernel(sx - Double(x0 + k)); ix[k] = Self.mirror(x0 + k, sw)
                                    wy[k] = kernel(sy - Double(y0 + k)); iy[k] = Self.mirror(y0 + k, sh)
                                }
                                var positive = 0.0, positiveWeight = 0.0, negative = 0.0, negativeWeight = 0.0
                                for j in 0..<taps where wy[j] != 0 {
                                    let row = iy[j] * sw
                                    for i in 0..<taps where wx[i] != 0 {
                                        let v = Double(input[row + ix[i]])
                                        guard v == v else { continue } // no data in the source
                                        let w = wx[i] * wy[j]
                                        if w > 0 { positive += w * v; positiveWeight += w } else { negative -= w * v; negativeWeight -= w }
                                    }
                                }
                                out[y * width + x] = Float(clamp(positive, positiveWeight, negative, negativeWeight))
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// Combines the positive and negative lobes, damping the negative one where it would ring.
    @inline(__always) func clamp(_ sp: Double, _ wp: Double, _ sn: Double, _ wn: Double) -> Double {
        guard wp > 0 else { return .nan }
        var sn = sn, wn = wn
        if clampingThreshold >= 0 && sn != 0 {
            guard sp > 0 else { return sp / wp }
            let r = sn / sp
            if r >= 1 { return sp / wp }
            if r > clampingThreshold {
                let t = (r - clampingThreshold) / (1 - clampingThreshold), c = 1 - t * t
                sn *= c
                wn *= c
            }
        }
        let weight = wp - wn
        return weight != 0 ? (sp - sn) / weight : sp / wp
    }

    /// Reflects an index into 0..<n (the border rows and columns are mirrored, as PCL does).
    @inline(__always) static func mirror(_ i: Int, _ n: Int) -> Int {
        if i < 0 { return min(n - 1, -i) }
        if i >= n { return max(0, 2 * n - 2 - i) }
        return i
    }
}
