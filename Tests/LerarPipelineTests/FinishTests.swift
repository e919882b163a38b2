import Foundation
import LerarCore
import LerarIO
@testable import LerarPipeline
import LerarPostProcessing
import LerarRegistration
import LerarSimulator
import LerarTestSupport
import Testing

/// `lerar run` on an LRGB session whose sky is green-tinted, with coloured stars and a pink galaxy: the finish is
/// scored against the simulator's truth.
@Suite(.serialized) struct FinishTests {
    /// Truth sky pixels of the final grid: far from every catalogue star and outside the galaxy, found through the
    /// L master's match to the truth catalogue (independent of the background reference the finish chose).
    struct TruthGeometry {
        let toSky: AffineTransform2D
        let stars: [(x: Double, y: Double, rate: Double, red: Double, green: Double, blue: Double)]
        let object: ExtendedObject
        let origin: (x: Double, y: Double)
        let crop: [Int]

        /// Sky px (the object's frame) of a pixel of the cropped final image.
        func sky(_ x: Int, _ y: Int) -> (x: Double, y: Double) {
            let p = toSky.apply(Double(x + crop[0]), Double(y + crop[1]))
            return (p.x + origin.x, p.y + origin.y)
        }
    }

    static func geometry(_ session: PipelineSession, master: String, crop: [Int]) throws -> TruthGeometry {
        let truth = try SessionTruth.load(folder: session.truth)
        let report = try ResultVerifier.verify(try ImageFile.read(master), file: master, truthFolder: session.truth, panel: 1, filter: "L")
        let toReference = try #require(report.imageToReference)
        let panel = try #require(truth.panels.first { $0.panel == 1 })
        let csv = try String(contentsOfFile: session.truth + "/" + panel.stars, encoding: .utf8)
        let stars = csv.split(separator: "\n").dropFirst().compactMap { line -> (Double, Double, Double, Double, Double, Double)? in
            let f = line.split(separator: ",").compactMap { Double($0) }
            return f.count >= 7 ? (f[1], f[2], f[3], f[4], f[5], f[6]) : nil
        }
        return TruthGeometry(toSky: toReference, stars: stars.map { ($0.0, $0.1, $0.2, $0.3, $0.4, $0.5) },
                             object: try #require(truth.configuration.extendedObject), origin: (panel.originX, panel.originY), crop: crop)
    }

    @Test func lrgbFinishIsNeutralCalibratedAndSharper() throws {
        let size = 512
        let session = try PipelineSession(name: "finish", size: size, filters: ["L", "R", "G", "B"], lights: 6, seed: 3) { c in
            c.extendedObject = .standard(width: size, height: size)
        }
        defer { session.remove() }
        let summary = try session.run()
        let record = try #require(summary.finishes.first, "warnings: \(summary.warnings)")
        let final = session.output + "/final"
        for name in ["RGB_linear.xisf", "LRGB.xisf", "LRGB.tif", "LRGB.png", "PSF.xisf", "L_deconvolved.xisf", "finish.json"] {
            #expect(FileManager.default.fileExists(atPath: final + "/" + name), "final/\(name)")
        }
        let linear = try ImageFile.read(final + "/RGB_linear.xisf")
        let lMaster = try #require(summary.stacks.first { $0.filter == "L" }?.master)
        let geometry = try Self.geometry(session, master: lMaster, crop: record.crop)

        // Truth sky pixels: > 12 px from any star brighter than the noise, outside 1.3× the galaxy's edge.
        var skyPixels: [Int] = []
        let bright = geometry.stars.filter { $0.rate > 20 }
        for y in stride(from: 8, to: linear.height - 8, by: 2) {
            for x in stride(from: 8, to: linear.width - 8, by: 2) {
                let p = geometry.sky(x, y)
                guard geometry.object.ellipticalRadiusSquared(x: p.x, y: p.y) > 1.7 else { continue }
                let q = (x: p.x - geometry.origin.x, y: p.y - geometry.origin.y)
                if bright.contains(where: { abs($0.x - q.x) < 12 && abs($0.y - q.y) < 12 }) { continue }
                skyPixels.append(y * linear.width + x)
            }
        }
        #expect(skyPixels.count > 2000)
        let sky = (0..<3).map { c in linear.withChannel(c) { plane in skyPixels.map { plane[$0] } }.withUnsafeBufferPointer { RobustStatistics.compute($0) } }
        let sigma = sky.map { 1.4826 * $0.mad }.max()!
        let levels = sky.map(\.median)
        let cast = levels[1] / ((levels[0] + levels[2]) / 2)
        print(String(format: "figure: finish sky R/G/B %.6f / %.6f / %.6f (σ %.6f), spread %.2f σ, G/((R+B)/2) %.4f", levels[0], levels[1], levels[2], sigma,
                     (levels.max()! - levels.min()!) / sigma, cast))
        #expect(levels.max()! - levels.min()! <= sigma, "background medians \(levels), σ \(sigma)")
        #expect(abs(cast - 1) <= 0.01, "green cast \(cast)")

        // Star colours: bright, isolated, unsaturated truth stars, measured in the linear RGB; with the average star as
        // white the truth ratio is relative to the median truth ratio of the same stars.
        let planes = (0..<3).map { c in linear.withChannel(c) { Array($0) } }
        let inverse = try #require(geometry.toSky.inverted)
        var measured: [(rg: Double, bg: Double, truthRG: Double, truthBG: Double)] = []
        for star in geometry.stars where star.rate > 400 && star.rate < 8000 {
            guard !geometry.stars.contains(where: { $0.rate > star.rate / 20 && $0.x != star.x && hypot($0.x - star.x, $0.y - star.y) < 15 }) else { continue }
            let p = inverse.apply(star.x, star.y)
            let x = p.x - Double(record.crop[0]), y = p.y - Double(record.crop[1])
            guard let flux = StarColorPhotometry.aperture(planes, width: linear.width, height: linear.height, x: x, y: y, radius: 7, saturation: 0.9),
                  flux.allSatisfy({ $0 > 0 }) else { continue }
            measured.append((flux[0] / flux[1], flux[2] / flux[1], star.red / star.green, star.blue / star.green))
        }
        #expect(measured.count >= 15, "stars measured: \(measured.count)")
        func median(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count / 2] }
        let whiteRG = median(measured.map(\.truthRG)), whiteBG = median(measured.map(\.truthBG))
        let errors = measured.flatMap { [abs($0.rg * whiteRG / $0.truthRG - 1), abs($0.bg * whiteBG / $0.truthBG - 1)] }.sorted()
        print(String(format: "figure: finish star colours, %d stars: median error %.1f %%, 90th percentile %.1f %%", measured.count,
                     100 * errors[errors.count / 2], 100 * errors[errors.count * 9 / 10]))
        #expect(errors[errors.count / 2] <= 0.05, "median colour-ratio error \(errors[errors.count / 2])")

        // LRGB keeps the stretched RGB's hue on the galaxy.
        let lrgb = try ImageFile.read(final + "/LRGB.xisf")
        let stretched = AutoStretch.apply(to: linear)
        var hueError = 0.0, hueCount = 0
        for y in stride(from: 0, to: linear.height, by: 3) {
            for x in stride(from: 0, to: linear.width, by: 3) {
                let p = geometry.sky(x, y)
                guard geometry.object.ellipticalRadiusSquared(x: p.x, y: p.y) < 0.3 else { continue }
                let a = CIELab.lab(r: Double(stretched[x, y, 0]), g: Double(stretched[x, y, 1]), b: Double(stretched[x, y, 2]))
                let b = CIELab.lab(r: Double(lrgb[x, y, 0]), g: Double(lrgb[x, y, 1]), b: Double(lrgb[x, y, 2]))
                guard a.chroma > 2 else { continue }
                let d = abs(a.hueDegrees - b.hueDegrees)
                hueError += min(d, 360 - d); hueCount += 1
            }
        }
        #expect(hueCount > 100)
        print(String(format: "figure: finish galaxy hue error LRGB vs stretched RGB %.2f° over %d px", hueError / Double(max(1, hueCount)), hueCount))
        #expect(hueError / Double(max(1, hueCount)) < 5)

        // Deconvolution of L with the LN reference's PSF: narrower stars, no deep rings, noise at most 1.5×.
        let before = try ImageFile.read(lMaster).cropped(x: record.crop[0], y: record.crop[1], width: record.crop[2], height: record.crop[3])
        let after = try ImageFile.read(final + "/L_deconvolved.xisf")
        let psfBefore = try PSFEstimator.measure(plane: before.samples, width: before.width, height: before.height)
        let psfAfter = try PSFEstimator.measure(plane: after.samples, width: after.width, height: after.height)
        func noise(_ image: Image) -> Double {
            let values = skyPixels.map { image.samples[$0] }
            return values.withUnsafeBufferPointer { 1.4826 * RobustStatistics.compute($0).mad }
        }
        let narrowing = 1 - psfAfter.fwhm / psfBefore.fwhm, noiseGain = noise(after) / noise(before)
        // Rings: mean of 1-px rings 1–4 FWHM from bright isolated stars, against the same star's sky annulus at 6–9 FWHM.
        var deepest = 0.0
        let fwhm = psfBefore.fwhm
        for star in geometry.stars where star.rate > 3000 {
            guard !geometry.stars.contains(where: { $0.rate > 50 && $0.x != star.x && hypot($0.x - star.x, $0.y - star.y) < 10 * fwhm }) else { continue }
            let p = inverse.apply(star.x, star.y)
            let cx = p.x - Double(record.crop[0]), cy = p.y - Double(record.crop[1])
            guard cx > 10 * fwhm, cy > 10 * fwhm, cx < Double(after.width) - 10 * fwhm, cy < Double(after.height) - 10 * fwhm else { continue }
            func ring(_ r0: Double, _ r1: Double) -> Double {
                var values: [Double] = []
                for y in Int(cy - r1)...Int(cy + r1) { for x in Int(cx - r1)...Int(cx + r1) {
                    let d = hypot(Double(x) - cx, Double(y) - cy)
                    if d >= r0 && d < r1 { values.append(Double(after[x, y])) }
                } }
                return values.reduce(0, +) / Double(max(1, values.count))
            }
            let local = ring(6 * fwhm, 9 * fwhm)
            for r in stride(from: fwhm, through: 4 * fwhm, by: 1) { deepest = min(deepest, ring(r, r + 1) - local) }
        }
        let sigmaAfter = noise(after)
        print(String(format: "figure: finish deconvolution FWHM %.2f → %.2f px (%.0f %% narrower), noise ×%.2f, deepest ring %.1f σ; %d iterations, %.3f s each",
                     psfBefore.fwhm, psfAfter.fwhm, 100 * narrowing, noiseGain, deepest / sigmaAfter, record.deconvolution?.iterationsRun ?? 0,
                     record.deconvolution?.secondsPerIteration ?? 0))
        // Closer to the truth: the simulator's noise-free sky rendered with the deconvolved FWHM, carried into the
        // master's grid through its match to the catalogue; each image gets its own best line to it (LN changed the
        // scale), then the RMS residual over the area away from the borders.
        var c = try SessionTruth.load(folder: session.truth).configuration
        c.fwhmRange = psfAfter.fwhm...psfAfter.fwhm
        let narrowTruth = FrameRenderer(plan: SessionPlan(configuration: c)).truthSky(filter: "L", panel: 1)
        var sampled = [Float](repeating: .nan, count: after.pixelCount)
        for y in 0..<after.height {
            for x in 0..<after.width {
                let p = geometry.toSky.apply(Double(x + record.crop[0]), Double(y + record.crop[1]))
                let x0 = Int(p.x.rounded(.down)), y0 = Int(p.y.rounded(.down))
                guard x0 >= 0, y0 >= 0, x0 + 1 < narrowTruth.width, y0 + 1 < narrowTruth.height else { continue }
                let fx = Float(p.x - Double(x0)), fy = Float(p.y - Double(y0))
                sampled[y * after.width + x] = (1 - fy) * ((1 - fx) * narrowTruth[x0, y0] + fx * narrowTruth[x0 + 1, y0])
                    + fy * ((1 - fx) * narrowTruth[x0, y0 + 1] + fx * narrowTruth[x0 + 1, y0 + 1])
            }
        }
        // The brightest 1 % of the truth (star cores, saturated in the subs and clipped in the master) is left out.
        let ceiling = sampled.filter(\.isFinite).sorted()[sampled.filter(\.isFinite).count * 99 / 100]
        func rmse(_ image: Image) -> Double {
            var sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0, n = 0.0
            var pairs: [(Double, Double)] = []
            for y in 16..<(image.height - 16) { for x in 16..<(image.width - 16) {
                let t = Double(sampled[y * image.width + x]), v = Double(image[x, y])
                guard t.isFinite, v.isFinite, t < Double(ceiling) else { continue }
                pairs.append((t, v)); sx += t; sy += v; sxx += t * t; sxy += t * v; n += 1
            } }
            let b = (n * sxy - sx * sy) / (n * sxx - sx * sx), a = (sy - b * sx) / n
            return (pairs.reduce(0) { $0 + pow($1.1 - a - b * $1.0, 2) } / n).squareRoot()
        }
        let rmseBefore = rmse(before), rmseAfter = rmse(after)
        print(String(format: "figure: finish deconvolution RMSE against the truth at FWHM %.2f px: %.3e → %.3e", psfAfter.fwhm, rmseBefore, rmseAfter))
        #expect(rmseAfter < rmseBefore)
        #expect(narrowing >= 0.2, "FWHM \(psfBefore.fwhm) → \(psfAfter.fwhm)")
        #expect(noiseGain <= 1.5, "noise ×\(noiseGain)")
        #expect(deepest >= -3 * sigmaAfter, "dark ring \(deepest / sigmaAfter) σ")

        // The TIFF reads back in Python with 16-bit samples; the report shows the finish in a real browser.
        let (_, printed) = try ChildProcess.run(["python3", "-c", "import tifffile,sys; a=tifffile.imread(sys.argv[1]); print(a.dtype, *a.shape)", final + "/LRGB.tif"])
        #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == "uint16 \(record.crop[3]) \(record.crop[2]) 3", "tifffile: \(printed)")
        let page = try #require(summary.report)
        let screenshot = session.folder + "/finish-report.png"
        let (_, log) = try HeadlessBrowser.run(["--window-size=1280,3000", "--screenshot=\(screenshot)", "file://\(page)"])
        #expect(HeadlessBrowser.consoleLines(log).isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: screenshot)).count > 20_000)
        let (dom, _) = try HeadlessBrowser.run(["--dump-dom", "file://\(page)"])
        #expect(dom.contains("id=\"psf\"") && dom.contains("LRGB.png: the final image") && dom.contains("deconvolution: before") && dom.contains("the PSF (square-root stretch)"))

        // A second run takes the finish from the cache.
        let again = try session.run()
        #expect(again.stages.first { $0.stage == "finish" }?.reused == 1 && again.computed == 0)
    }
}

/// A one-shot-colour session: the colour stack alone is finished into an RGB image whose sky is neutral.
@Suite(.serialized) struct OSCFinishTests {
    @Test func oscStackIsFinishedIntoANeutralRGBImage() throws {
        let session = try PipelineSession(name: "osc-finish", size: 384, lights: 6, seed: 5, oneShotColour: true)
        defer { session.remove() }
        let summary = try session.run()
        let record = try #require(summary.finishes.first, "warnings: \(summary.warnings)")
        #expect(record.inputs.keys.sorted() == ["RGB"])
        for name in ["RGB_linear.xisf", "RGB.xisf", "RGB.tif", "RGB.png", "Luminance_deconvolved.xisf"] {
            #expect(FileManager.default.fileExists(atPath: session.output + "/final/" + name), "final/\(name)")
        }
        // The colour master's sky is green (the simulator's light pollution); the finished one is grey.
        let master = try ImageFile.read(try #require(summary.stacks.first?.master))
        let before = try BackgroundReference.measure(master)
        let linear = try ImageFile.read(session.output + "/final/RGB_linear.xisf")
        let after = try BackgroundReference.measure(linear, parameters: BackgroundReferenceParameters(cellSize: 24, darkestFraction: 0.4))
        let castBefore = before.levels[1] / ((before.levels[0] + before.levels[2]) / 2), castAfter = after.levels[1] / ((after.levels[0] + after.levels[2]) / 2)
        print(String(format: "figure: OSC finish sky G/((R+B)/2) %.3f → %.4f, spread %.2f σ", castBefore, castAfter,
                     (after.levels.max()! - after.levels.min()!) / after.sigmas.max()!))
        #expect(castBefore > 1.1, "the simulated sky is green: \(castBefore)")
        #expect(abs(castAfter - 1) <= 0.01 && after.levels.max()! - after.levels.min()! <= after.sigmas.max()!, "sky after \(after.levels)")
    }
}
