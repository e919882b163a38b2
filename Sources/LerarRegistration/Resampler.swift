import Foundation
import CLerarKernels
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

    public let interpolation: Interpolation
    /// Clamping threshold in [0,1]; negative disables clamping (PixInsight default 0.3).
    public let clampingThreshold: Double

    /// 1 / (1 − clampingThreshold): the clamping ramp's slope, a multiplication per clamped pixel.
    let inverseClampingRange: Double

    /// Kernel samples every 1/4096 px (PCL's LUT resolution, accurate to ~1e-7), so no sine is evaluated per pixel.
    let table: [Double]
    static let tableResolution = 4096.0

    /// For each fraction q/4096 of a pixel, the taps' positive and negative weight parts (`2·radius` each) and
    /// their sums: the interior fast path then needs no kernel evaluation and no sign branches.
    /// Taps beyond `2·radius` are zero, so one 8-lane vector serves every kernel.
    let positiveTaps: [SIMD8<Float>], negativeTaps: [SIMD8<Float>], positiveSums: [Float], negativeSums: [Float]

    public init(interpolation: Interpolation = .lanczos3, clampingThreshold: Double = 0.3) {
        self.interpolation = interpolation
        self.clampingThreshold = clampingThreshold
        inverseClampingRange = clampingThreshold < 1 ? 1 / (1 - clampingThreshold) : 0
        let count = interpolation.radius * Int(Self.tableResolution) + 2
        table = (0..<count).map { Self.exactKernel(interpolation, Double($0) / Self.tableResolution) }
        let taps = 2 * interpolation.radius, fractions = Int(Self.tableResolution) + 1
        var positive = [SIMD8<Float>](repeating: .zero, count: fractions), negative = positive
        var positiveSums = [Float](repeating: 0, count: fractions), negativeSums = positiveSums
        for q in 0..<fractions {
            let f = Double(q) / Self.tableResolution
            for k in 0..<taps {
                let w = Self.exactKernel(interpolation, f + Double(interpolation.radius - 1 - k))
                positive[q][k] = Float(max(w, 0)); negative[q][k] = Float(max(-w, 0))
                positiveSums[q] += Float(max(w, 0)); negativeSums[q] += Float(max(-w, 0))
            }
        }
        (positiveTaps, negativeTaps, self.positiveSums, self.negativeSums) = (positive, negative, positiveSums, negativeSums)
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
        resampled(source, outputToSource, width, height)
    }

    /// The same through a projective map.
    public func resample(_ source: Image, outputToSource: ProjectiveTransform2D, width: Int, height: Int) -> Image {
        resampled(source, outputToSource, width, height)
    }

    /// One generic body, specialised for each map type inside this module (a call across modules would go through
    /// the protocol witness for every pixel).
    func resampled<Mapping: PixelMapping>(_ source: Image, _ outputToSource: Mapping, _ width: Int, _ height: Int) -> Image {
        if let affine = outputToSource as? AffineTransform2D { return resampledByRows(source, affine, width, height) }
        var output = Image(width: width, height: height, colorSpace: source.colorSpace, metadata: source.metadata)
        let sw = source.width, sh = source.height, radius = interpolation.radius, taps = 2 * radius
        for channel in 0..<source.channelCount {
            source.withChannel(channel) { input in
                output.withMutableChannel(channel) { out in
                    let shared = UnsafeSendable((input, out))
                    Parallel.forEachChunk(count: height, minimumChunkSize: 8) { rows in
                        let (input, out) = shared.value
                        for y in rows {
                            for x in 0..<width {
                                let (sx, sy) = outputToSource.apply(Double(x), Double(y))
                                guard sx >= -0.5, sy >= -0.5, sx <= Double(sw) - 0.5, sy <= Double(sh) - 0.5 else {
                                    out[y * width + x] = .nan
                                    continue
                                }
                                // sx, sy ≥ −0.5, so truncating sx + 1 floors without a libm call.
                                let fx = Int(sx + 1) - 1, fy = Int(sy + 1) - 1
                                let x0 = fx - radius + 1, y0 = fy - radius + 1
                                if x0 >= 0, y0 >= 0, x0 + taps <= sw, y0 + taps <= sh {
                                    let qx = Int((sx - Double(fx)) * Self.tableResolution + 0.5), qy = Int((sy - Double(fy)) * Self.tableResolution + 0.5)
                                    let value = interior(input.baseAddress! + y0 * sw + x0, sw, qx, qy)
                                    // A NaN source sample poisons the sums: such pixels take the exact path below.
                                    if !value.isNaN { out[y * width + x] = value; continue }
                                }
                                out[y * width + x] = exact(input, sw, sh, x0, y0, sx, sy)
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// Whether the affine rows run the AVX2+FMA body on this CPU (else the portable one).
    public static var usesAVX2: Bool { lerar_kernels_use_avx2() != 0 }

    /// The affine map's body: each row's interior in C (8-lane vectors, AVX2 where the CPU has it), then the exact
    /// path for the pixels it leaves (borders, NaN samples).
    func resampledByRows(_ source: Image, _ map: AffineTransform2D, _ width: Int, _ height: Int) -> Image {
        var output = Image(width: width, height: height, colorSpace: source.colorSpace, metadata: source.metadata)
        let sw = source.width, sh = source.height, radius = interpolation.radius
        positiveTaps.withUnsafeBufferPointer { positiveTaps in
            negativeTaps.withUnsafeBufferPointer { negativeTaps in
                positiveSums.withUnsafeBufferPointer { positiveSums in
                    negativeSums.withUnsafeBufferPointer { negativeSums in
                        for channel in 0..<source.channelCount {
                            source.withChannel(channel) { input in
                                output.withMutableChannel(channel) { out in
                                    let kernel = LerarResampleSource(
                                        source: input.baseAddress, sourceWidth: Int64(sw), sourceHeight: Int64(sh),
                                        a: map.a, b: map.b, c: map.c, d: map.d, e: map.e, f: map.f, radius: Int32(radius),
                                        resolution: Self.tableResolution,
                                        positiveTaps: UnsafeRawPointer(positiveTaps.baseAddress!).assumingMemoryBound(to: Float.self),
                                        negativeTaps: UnsafeRawPointer(negativeTaps.baseAddress!).assumingMemoryBound(to: Float.self),
                                        positiveSums: positiveSums.baseAddress, negativeSums: negativeSums.baseAddress,
                                        clampingThreshold: clampingThreshold, inverseClampingRange: inverseClampingRange)
                                    let shared = UnsafeSendable((input, out, kernel))
                                    Parallel.forEachChunk(count: height, minimumChunkSize: 8) { rows in
                                        let (input, out, kernel) = shared.value
                                        let needsExact = UnsafeMutablePointer<UInt8>.allocate(capacity: width)
                                        defer { needsExact.deallocate() }
                                        withUnsafePointer(to: kernel) { kernel in
                                            for y in rows {
                                                let row = out.baseAddress! + y * width
                                                lerar_resample_row(kernel, Int64(y), Int64(width), row, needsExact)
                                                for x in 0..<width where needsExact[x] != 0 {
                                                    let (sx, sy) = map.apply(Double(x), Double(y))
                                                    let fx = Int(sx + 1) - 1, fy = Int(sy + 1) - 1
                                                    row[x] = exact(input, sw, sh, fx - radius + 1, fy - radius + 1, sx, sy)
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// Interpolated value from the tap block at `block` wholly inside the source, for the fractions qx/4096 and
    /// qy/4096 of a pixel (position quantised to ≤ 1/8192 px); NaN when a sample in the block is NaN.
    @inline(__always) func interior(_ block: UnsafePointer<Float>, _ sw: Int, _ qx: Int, _ qy: Int) -> Float {
        let taps = 2 * interpolation.radius
        let px = positiveTaps[qx], nx = negativeTaps[qx], py = positiveTaps[qy], ny = negativeTaps[qy]
        // Literal tap counts let the compiler unroll the loops.
        let (positive, negative) = switch taps {
        case 6: Self.lobes(block, sw, 6, px, nx, py, ny)
        case 4: Self.lobes(block, sw, 4, px, nx, py, ny)
        default: Self.lobes(block, sw, taps, px, nx, py, ny)
        }
        let positiveWeight = positiveSums[qy] * positiveSums[qx] + negativeSums[qy] * negativeSums[qx]
        let negativeWeight = positiveSums[qy] * negativeSums[qx] + negativeSums[qy] * positiveSums[qx]
        return Float(clamp(Double(positive), Double(positiveWeight), Double(negative), Double(negativeWeight)))
    }

    /// Positive and negative lobe sums of a `taps`×`taps` block starting at `block`: Σ v·(py·px + ny·nx) and
    /// Σ v·(py·nx + ny·px), the separable kernel's two signs without a branch per tap.
    @inline(__always) static func lobes(_ block: UnsafePointer<Float>, _ stride: Int, _ taps: Int, _ px: SIMD8<Float>, _ nx: SIMD8<Float>,
                                        _ py: SIMD8<Float>, _ ny: SIMD8<Float>) -> (Float, Float) {
        var positive: Float = 0, negative: Float = 0
        var row = block
        for j in 0..<taps {
            var rowPositive: Float = 0, rowNegative: Float = 0
            for i in 0..<taps {
                let v = row[i]
                rowPositive += px[i] * v; rowNegative += nx[i] * v
            }
            positive += py[j] * rowPositive + ny[j] * rowNegative
            negative += py[j] * rowNegative + ny[j] * rowPositive
            row += stride
        }
        return (positive, negative)
    }

    /// The general path, at the borders (mirrored rows and columns) and next to NaN samples (left out with their
    /// weights): exact kernel weights in double precision.
    func exact(_ input: UnsafeBufferPointer<Float>, _ sw: Int, _ sh: Int, _ x0: Int, _ y0: Int, _ sx: Double, _ sy: Double) -> Float {
        let taps = 2 * interpolation.radius
        var positive = 0.0, positiveWeight = 0.0, negative = 0.0, negativeWeight = 0.0
        for j in 0..<taps {
            let wy = kernel(sy - Double(y0 + j))
            guard wy != 0 else { continue }
            let row = Self.mirror(y0 + j, sh) * sw
            for i in 0..<taps {
                let wx = kernel(sx - Double(x0 + i))
                guard wx != 0 else { continue }
                let v = Double(input[row + Self.mirror(x0 + i, sw)])
                guard v == v else { continue } // no data in the source
                let w = wx * wy
                if w > 0 { positive += w * v; positiveWeight += w } else { negative -= w * v; negativeWeight -= w }
            }
        }
        return Float(clamp(positive, positiveWeight, negative, negativeWeight))
    }

    /// Combines the positive and negative lobes, damping the negative one where it would ring.
    @inline(__always) func clamp(_ sp: Double, _ wp: Double, _ sn: Double, _ wn: Double) -> Double {
        guard wp > 0 else { return .nan }
        var sn = sn, wn = wn
        if clampingThreshold >= 0 && sn != 0 {
            guard sp > 0 else { return sp / wp }
            if sn >= sp { return sp / wp }
            // r = sn/sp > threshold, tested without dividing: most pixels (smooth sky) are not clamped, so they
            // pay one division, not three.
            if sn > clampingThreshold * sp {
                let t = (sn / sp - clampingThreshold) * inverseClampingRange, c = 1 - t * t
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
