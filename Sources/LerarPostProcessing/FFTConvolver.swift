import CFFTW3
import Foundation
import LerarCore

/// FFTW's planner is not thread-safe: plans are made and destroyed under one lock, with its threads set up once.
enum FFTWPlanner {
    static let lock = NSLock()
    nonisolated(unsafe) private static var threadsReady = false

    static func withLock<R>(_ body: () -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        if !threadsReady {
            if fftwf_init_threads() != 0 { fftwf_plan_with_nthreads(Int32(Parallel.coreCount)) }
            threadsReady = true
        }
        return body()
    }

    /// The smallest n' ≥ n whose prime factors are 2, 3, 5 and 7 (FFTW's fast sizes).
    static func fastSize(_ n: Int) -> Int {
        var candidate = max(1, n)
        while true {
            var m = candidate
            for p in [2, 3, 5, 7] { while m % p == 0 { m /= p } }
            if m == 1 { return candidate }
            candidate += 1
        }
    }
}

/// Convolutions of planes of one size with kernels of at most a given radius, through FFTW single-precision real
/// transforms. Planes are padded by mirroring (no wrap-around from the far edge) to a fast size; not thread-safe.
public final class FFTConvolver {
    public let width: Int, height: Int, radius: Int
    let paddedWidth: Int, paddedHeight: Int
    private let real: UnsafeMutablePointer<Float>
    private let complex: UnsafeMutablePointer<fftwf_complex>
    private let forward: fftwf_plan, inverse: fftwf_plan
    var spectrumCount: Int { paddedHeight * (paddedWidth / 2 + 1) }

    /// A convolver for `width`×`height` planes and kernels of radius ≤ `kernelRadius` px.
    public init(width: Int, height: Int, kernelRadius: Int) {
        self.width = width
        self.height = height
        radius = kernelRadius
        paddedWidth = FFTWPlanner.fastSize(width + 2 * kernelRadius)
        paddedHeight = FFTWPlanner.fastSize(height + 2 * kernelRadius)
        let pw = paddedWidth, ph = paddedHeight
        let realCount = pw * ph, complexCount = ph * (pw / 2 + 1)
        real = fftwf_alloc_real(realCount)!
        complex = fftwf_alloc_complex(complexCount)!
        let r = real, c = complex
        (forward, inverse) = FFTWPlanner.withLock {
            (fftwf_plan_dft_r2c_2d(Int32(ph), Int32(pw), r, c, FFTW_ESTIMATE)!,
             fftwf_plan_dft_c2r_2d(Int32(ph), Int32(pw), c, r, FFTW_ESTIMATE)!)
        }
    }

    deinit {
        FFTWPlanner.withLock {
            fftwf_destroy_plan(forward)
            fftwf_destroy_plan(inverse)
        }
        fftwf_free(real)
        fftwf_free(complex)
    }

    /// The transform of a (2r+1)² kernel (r ≤ the convolver's radius), centred on the origin of the padded plane
    /// (wrapped), as interleaved complex numbers.
    public func spectrum(ofKernel kernel: [Float], radius r: Int) -> [Float] {
        precondition(r <= radius && kernel.count == (2 * r + 1) * (2 * r + 1), "kernel larger than the convolver's radius")
        let pw = paddedWidth, ph = paddedHeight
        real.update(repeating: 0, count: pw * ph)
        for ky in -r...r {
            for kx in -r...r {
                let y = (ky + ph) % ph, x = (kx + pw) % pw
                real[y * pw + x] = kernel[(ky + r) * (2 * r + 1) + kx + r]
            }
        }
        fftwf_execute(forward)
        return complex.withMemoryRebound(to: Float.self, capacity: 2 * spectrumCount) { Array(UnsafeBufferPointer(start: $0, count: 2 * spectrumCount)) }
    }

    /// `output` = `plane` ⊛ kernel (or the correlation, the convolution with the flipped kernel, when `flipped`).
    /// `plane` must be finite; `output` may be the same memory.
    public func convolve(_ plane: UnsafeBufferPointer<Float>, spectrum: [Float], flipped: Bool = false, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(plane.count == width * height && output.count == width * height && spectrum.count == 2 * spectrumCount)
        let pw = paddedWidth, ph = paddedHeight, w = width, h = height, r = radius
        // Mirror padding: the image sits at (r, r); the border repeats it reflected, so edges do not ring.
        let columns = (0..<pw).map { ATrousSmoothing.mirror($0 - r, w) }
        let base = plane.baseAddress!
        for py in 0..<ph {
            let source = base + ATrousSmoothing.mirror(py - r, h) * w, target = real + py * pw
            (target + r).update(from: source, count: w)
            for px in 0..<r { target[px] = source[columns[px]] }
            for px in (r + w)..<pw { target[px] = source[columns[px]] }
        }
        fftwf_execute(forward)
        let scale = 1 / Float(pw * ph), count = spectrumCount
        complex.withMemoryRebound(to: Float.self, capacity: 2 * count) { z in
            spectrum.withUnsafeBufferPointer { k in
                let sign: Float = flipped ? -1 : 1
                for i in 0..<count {
                    let a = z[2 * i], b = z[2 * i + 1], c = k[2 * i], d = sign * k[2 * i + 1]
                    z[2 * i] = (a * c - b * d) * scale
                    z[2 * i + 1] = (a * d + b * c) * scale
                }
            }
        }
        fftwf_execute(inverse)
        for y in 0..<h { (output.baseAddress! + y * w).update(from: real + (y + r) * pw + r, count: w) }
    }
}
