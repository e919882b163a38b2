import Foundation
import LerarCore
import LerarIO
import Testing
@testable import LerarRegistration
import LerarSimulator

/// RMS over a grid of points of the difference between two maps of the frame, px.
func transformError(_ a: some PixelMapping, _ b: some PixelMapping, width: Int, height: Int) -> Double {
    var squares = 0.0, count = 0.0
    for y in stride(from: 0.0, through: Double(height - 1), by: Double(height - 1) / 8) {
        for x in stride(from: 0.0, through: Double(width - 1), by: Double(width - 1) / 8) {
            let p = a.apply(x, y), q = b.apply(x, y)
            squares += pow(p.x - q.x, 2) + pow(p.y - q.y, 2)
            count += 1
        }
    }
    return (squares / count).squareRoot()
}

final class RegistrationSession: @unchecked Sendable {
    let path = NSTemporaryDirectory() + "lerar-reg-" + UUID().uuidString
    let truth: SessionTruth
    init(_ change: (inout SessionConfiguration) -> Void) throws {
        var c = SessionConfiguration()
        c.width = 512
        c.height = 512
        c.filters = ["L"]
        c.lightsPerFilter = 6
        c.biasCount = 1; c.darkCount = 1; c.flatCount = 1; c.darkFlatCount = 1; c.secondDarkExposure = 0
        change(&c)
        _ = try SessionWriter(configuration: c).write(to: path)
        truth = try SessionTruth.load(folder: path + "/truth")
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ light: SessionTruth.Light) -> String { path + "/" + light.file }

    /// Truth map from `light` px to `reference` px.
    func truthTransform(_ light: SessionTruth.Light, to reference: SessionTruth.Light) -> AffineTransform2D {
        reference.referenceToLight.concatenating(light.lightToReference)
    }
}

@Suite struct RegistrationTests {
    func check(_ session: RegistrationSession, limit: Double) throws {
        let reference = session.truth.lights[0]
        let reports = try Registrar().register(paths: session.truth.lights.map(session.file), reference: session.file(reference),
                                               outputFolder: session.path + "/registered", overwrite: false)
        for (light, report) in zip(session.truth.lights, reports) {
            let fitted = try #require(report.transform, "\(light.file): \(report.failure ?? "")")
            let error = transformError(fitted, session.truthTransform(light, to: reference), width: 512, height: 512)
            #expect(error < limit, "\(light.file): transform error \(error) px (flipped: \(light.conditions.meridianFlipped))")
            #expect(FileManager.default.fileExists(atPath: report.output ?? ""))
        }
        #expect(reports.contains { abs(abs($0.rotationDegrees ?? 0) - 180) < 1 }, "the meridian flip is in the set")
    }

    @Test func goodSignalRegistersToAFewHundredthsOfAPixel() throws {
        try check(try RegistrationSession { _ in }, limit: 0.05)
    }

    @Test func lowSignalStillRegistersWithinAFifthOfAPixel() throws {
        try check(try RegistrationSession { c in
            c.exposure = 20
            c.starDensity = 300
        }, limit: 0.2)
    }

    @Test func starlessFramesAreSkippedWithTheReasonAndMirroredOnesRegister() throws {
        let session = try RegistrationSession { c in c.starlessSub = true }
        let lights = session.truth.lights
        // A mirrored copy of the first light (as from a diagonal or a bottom-up camera).
        var mirrored = try ImageFile.read(session.file(lights[0]))
        let original = mirrored
        mirrored.withMutableSamples { samples in
            for y in 0..<512 { for x in 0..<512 { samples[y * 512 + x] = original[511 - x, y] } }
        }
        let mirroredPath = session.path + "/mirrored.fits"
        try ImageFile.write(mirrored, to: mirroredPath, options: ImageWriteOptions(sampleFormat: .float32))
        let reports = try Registrar().register(paths: lights.map(session.file) + [mirroredPath], reference: session.file(lights[0]),
                                               outputFolder: session.path + "/registered", overwrite: false)
        let starless = try #require(reports.first { $0.path == session.file(lights[1]) })
        #expect(starless.failure?.contains("stars detected") == true && starless.output == nil)
        let flipped = try #require(reports.last)
        #expect(flipped.mirrored && flipped.failure == nil)
        let expected = AffineTransform2D(a: -1, b: 0, c: 511, d: 0, e: 1, f: 0)
        #expect(transformError(try #require(flipped.transform), expected, width: 512, height: 512) < 0.05)
    }
}

@Suite struct ResamplingTests {
    /// A smooth field with Gaussian stars, flux well inside the frame.
    func field() -> Image {
        var image = Image(width: 128, height: 128)
        image.withMutableSamples { s in
            for y in 0..<128 { for x in 0..<128 {
                var v = 0.1 + 0.0005 * Double(x)
                for (cx, cy) in [(40.3, 50.7), (80.6, 70.2), (64.0, 30.5)] {
                    let r2 = pow(Double(x) - cx, 2) + pow(Double(y) - cy, 2)
                    v += 0.5 * exp(-r2 / (2 * 1.6 * 1.6))
                }
                s[y * 128 + x] = Float(v)
            } }
        }
        return image
    }

    @Test(arguments: Resampler.Interpolation.allCases)
    func shiftAndBackKeepsFlux(interpolation: Resampler.Interpolation) {
        let image = field()
        let resampler = Resampler(interpolation: interpolation)
        let shift = AffineTransform2D(a: 1, b: 0, c: 0.37, d: 0, e: 1, f: -0.61)
        let moved = resampler.resample(image, outputToSource: shift, width: 128, height: 128)
        let back = resampler.resample(moved, outputToSource: shift.inverted!, width: 128, height: 128)
        var a = 0.0, b = 0.0
        for y in 10..<118 { for x in 10..<118 { a += Double(image[x, y]); b += Double(back[x, y]) } }
        #expect(abs(b / a - 1) < 0.001, "\(interpolation): flux \(b / a)")
        // Row 0 maps to y = −0.61, outside the source: no data.
        #expect(moved[64, 64].isFinite && moved[64, 0].isNaN)
    }

    /// The affine map's C rows (8-lane vectors, AVX2 where the CPU has it) against the generic Swift body (the same
    /// map as a projective one), with NaN holes, borders, clamping and a rotation: the same image to float rounding.
    @Test(arguments: Resampler.Interpolation.allCases)
    func affineRowsMatchTheGenericBody(interpolation: Resampler.Interpolation) {
        var image = field()
        image.withMutableSamples { s in for i in stride(from: 777, to: s.count, by: 1_913) { s[i] = .nan }; s[40 * 128 + 40] = 4 }
        for threshold in [0.3, -1] {
            let resampler = Resampler(interpolation: interpolation, clampingThreshold: threshold)
            let map = AffineTransform2D.rotation(0.31, about: (64, 64), shift: (3.37, -2.71))
            let rows = resampler.resample(image, outputToSource: map, width: 140, height: 120)
            let generic = resampler.resample(image, outputToSource: ProjectiveTransform2D(map), width: 140, height: 120)
            var worst = 0.0, nanMismatch = 0, finite = 0
            for (a, b) in zip(rows.samples, generic.samples) {
                if a.isNaN != b.isNaN { nanMismatch += 1; continue }
                if a.isFinite { finite += 1; worst = max(worst, Double(abs(a - b))) }
            }
            print("figure: \(interpolation) clamping \(threshold): C rows vs Swift body, worst difference \(worst) (\(finite) px), CPU AVX2 \(Resampler.usesAVX2)")
            #expect(nanMismatch == 0 && finite > 10_000)
            #expect(worst < 2e-6, "\(interpolation): worst difference \(worst)")
        }
    }

    @Test func outsideTheSourceIsNoData() {
        let moved = Resampler().resample(field(), outputToSource: AffineTransform2D(a: 1, b: 0, c: 20, d: 0, e: 1, f: 0), width: 128, height: 128)
        #expect(moved[120, 64].isNaN && moved[100, 64].isFinite)
    }

    @Test func clampingStopsRingingAtSharpEdges() {
        // A hot pixel and a step: Lanczos without clamping undershoots; with PixInsight's 0.3 it stays near the floor.
        var image = Image(width: 64, height: 64)
        image.withMutableSamples { s in for y in 0..<64 { for x in 0..<64 { s[y * 64 + x] = x >= 32 ? 0.9 : 0.1 } }; s[10 * 64 + 10] = 1 }
        let shift = AffineTransform2D(a: 1, b: 0, c: 0.5, d: 0, e: 1, f: 0.5)
        let clamped = Resampler(clampingThreshold: 0.3).resample(image, outputToSource: shift, width: 64, height: 64)
        let free = Resampler(clampingThreshold: -1).resample(image, outputToSource: shift, width: 64, height: 64)
        let clampedMinimum = clamped.samples.filter(\.isFinite).min()!, freeMinimum = free.samples.filter(\.isFinite).min()!
        let freeUndershoot = Double(0.1 - freeMinimum), clampedUndershoot = Double(0.1 - clampedMinimum)
        print("undershoot of a 0.8 step: unclamped \(freeUndershoot), clamped \(clampedUndershoot)")
        #expect(freeUndershoot > 0.05, "unclamped Lanczos should ring")
        #expect(clampedUndershoot < 0.4 * freeUndershoot && clampedUndershoot < 0.03 * 0.8, "clamping does not hold the ringing down")
    }
}

@Suite struct MeasurementTests {
    @Test func fwhmMatchesTheSimulationAndTheWorstSeeingRanksLast() throws {
        let session = try RegistrationSession { c in c.transparencyRange = 1...1 }
        let lights = session.truth.lights
        let measurements = try FrameMeasurer.measure(paths: lights.map(session.file))
        for (light, m) in zip(lights, measurements) {
            let fwhm = try #require(m.fwhm)
            #expect(abs(fwhm / light.conditions.fwhm - 1) < 0.05, "\(light.file): \(fwhm) px, simulated \(light.conditions.fwhm)")
            #expect(try #require(m.eccentricity) < 0.2)
            #expect(abs(try #require(m.beta) - 4) < 0.5, "Moffat β \(m.beta ?? .nan), simulated 4")
            #expect(m.fittedStars > 20 && m.noise > 0 && (m.snr ?? 0) > 10)
            #expect(m.fwhmArcsec.map { abs($0 / (fwhm * 206.265 * 3.76 / 480) - 1) < 1e-6 } == true)
        }
        let worst = lights.indices.max { lights[$0].conditions.fwhm < lights[$1].conditions.fwhm }!
        #expect(measurements[worst].rank == lights.count, "ranks: \(measurements.map(\.rank)), worst seeing at \(worst)")
        #expect(Set(measurements.map(\.rank)) == Set(1...lights.count))
    }

    @Test func gaussianAndMoffatFitsRecoverASyntheticStar() {
        // An elongated Moffat star (β 3, FWHM 4 × 3 px, 30°) on a flat sky.
        var plane = [Float](repeating: 0.1, count: 41 * 41)
        let angle = 30.0 * .pi / 180, beta = 3.0
        let ax = 4 / (2 * (pow(2, 1 / beta) - 1).squareRoot()), ay = 3 / (2 * (pow(2, 1 / beta) - 1).squareRoot())
        for y in 0..<41 { for x in 0..<41 {
            var sum = 0.0
            for sy in [-1.0 / 3, 0, 1.0 / 3] { for sx in [-1.0 / 3, 0, 1.0 / 3] {
                let dx = Double(x) + sx - 20.3, dy = Double(y) + sy - 19.6
                let u = (cos(angle) * dx + sin(angle) * dy) / ax, v = (-sin(angle) * dx + cos(angle) * dy) / ay
                sum += pow(1 + u * u + v * v, -beta)
            } }
            plane[y * 41 + x] += Float(0.5 * sum / 9)
        } }
        let moffat = PSFFit.fit(plane, width: 41, height: 41, x: 20, y: 20, radius: 12, model: .moffat, fwhmGuess: 3.5)
        #expect(moffat.map { abs($0.fwhmMajor - 4) < 0.02 && abs($0.fwhmMinor - 3) < 0.02 && abs($0.angle - 30) < 1 && abs($0.beta! - 3) < 0.05 } == true, "\(String(describing: moffat))")
        #expect(moffat.map { abs($0.x - 20.3) < 0.01 && abs($0.y - 19.6) < 0.01 } == true)
        let gaussian = PSFFit.fit(plane, width: 41, height: 41, x: 20, y: 20, radius: 6, model: .gaussian, fwhmGuess: 3.5)
        #expect(gaussian != nil && gaussian!.eccentricity > 0.5)
    }
}
