import Foundation
import LerarCore
import LerarIntegration
import LerarIO
import LerarRegistration
import Testing
@testable import LerarNormalization
import LerarSimulator

/// A simulated session of registered lights: sensor effects off and the bias subtracted (a calibrated-like light:
/// sky with a different gradient and transparency per sub, stars, noise), registered to the first light.
final class NormalizedSession: @unchecked Sendable {
    let path = NSTemporaryDirectory() + "lerar-ln-" + UUID().uuidString
    let truth: SessionTruth
    var registered: [String] = []
    let configuration: SessionConfiguration

    init(size: Int = 384, lights: Int = 10, panels: Int = 1) throws {
        var c = SessionConfiguration()
        c.width = size; c.height = size
        c.filters = ["L"]
        c.lightsPerFilter = lights
        c.panels = panels
        c.biasCount = 1; c.darkCount = 1; c.flatCount = 1; c.darkFlatCount = 1; c.secondDarkExposure = 0
        c.hotPixels = false; c.vignetting = false; c.dust = false; c.deadColumn = false
        c.ampGlow = 0; c.darkCurrent = 0; c.columnPatternADU = 0; c.coldPixelCount = 0
        c.cosmicRaysPerMegapixel = 0; c.trailFraction = 0
        c.gradientRange = 0.06...0.12
        c.transparencyRange = 0.7...1.0
        configuration = c
        _ = try SessionWriter(configuration: c).write(to: path)
        truth = try SessionTruth.load(folder: path + "/truth")
        let calibrated = path + "/calibrated"
        try FileManager.default.createDirectory(atPath: calibrated, withIntermediateDirectories: true)
        var byPanel: [Int: [String]] = [:]
        for light in truth.lights {
            var image = try ImageFile.read(path + "/" + light.file)
            let bias = Float(c.biasADU / 65535)
            image.withMutableSamples { for i in 0..<$0.count { $0[i] -= bias } }
            let out = calibrated + "/p\(light.panel)_" + URL(fileURLWithPath: light.file).deletingPathExtension().lastPathComponent + "_c.xisf"
            try ImageFile.write(image, to: out, options: ImageWriteOptions(sampleFormat: .float32))
            byPanel[light.panel, default: []].append(out)
        }
        for panel in byPanel.keys.sorted() {
            let frames = byPanel[panel]!
            let reports = try Registrar().register(paths: frames, reference: frames[0], outputFolder: path + "/registered", overwrite: false)
            registered += reports.compactMap(\.output)
        }
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Largest |background of (image − reference)| over the area where both have data, % of the reference's sky.
    static func backgroundDifference(_ image: Image, _ reference: Image) -> Double {
        var difference = image
        reference.withChannel(0) { r in difference.withMutableChannel(0) { d in for i in 0..<d.count { d[i] -= r[i] } } }
        var common = Autocrop(width: image.width, height: image.height)
        common.add(difference)
        if let box = common.rectangle() { difference = difference.cropped(x: box.x, y: box.y, width: box.width, height: box.height) }
        let plane = difference.channelMean()
        let grid = BackgroundGrid(plane: plane, width: difference.width, height: difference.height, cellSize: 32)
        let sky = BackgroundGrid(plane: reference.channelMean(), width: image.width, height: image.height, cellSize: 32).level
        let cells = grid.cells.filter(\.isFinite)
        let centre = BackgroundGrid.median(cells)
        return 100 * (cells.map { abs($0 - centre) }.max() ?? .nan) / sky
    }
}

@Suite(.serialized) struct LocalNormalizationTests {
    static let session = Result { try NormalizedSession() }

    @Test func eachSubMatchesTheReferenceBackgroundWhereLinearFitCannot() throws {
        let session = try Self.session.get()
        let referencePath = session.path + "/reference.xisf"
        var parameters = ReferenceBuilder.Parameters()
        parameters.best = 10
        let report = try ReferenceBuilder(parameters: parameters).build(paths: session.registered, output: referencePath, overwrite: true)
        #expect(report.used.count == 10)
        let referenceImage = try ImageFile.read(referencePath)
        var ln = LocalNormalizationParameters()
        ln.scale = 256
        let reference = try LocalNormalizationReference(path: referencePath, image: referenceImage, parameters: ln)
        var worstLN = 0.0, worstLinearFit = 0.0
        for path in session.registered {
            let target = try ImageFile.read(path)
            let function = try reference.function(for: target, path: path)
            #expect(function.scaleStars[0] >= 8)
            let normalized = function.apply(to: target)
            worstLN = max(worstLN, NormalizedSession.backgroundDifference(normalized, referenceImage))
            let linear = LinearFitNormalizer.apply(try LinearFitNormalizer.fit(target: target, reference: referenceImage, path: path), to: target)
            worstLinearFit = max(worstLinearFit, NormalizedSession.backgroundDifference(linear, referenceImage))
        }
        print("figure: worst background difference to the reference: LN \(worstLN) %, LinearFit \(worstLinearFit) % of sky")
        #expect(worstLN < 0.3, "LN: worst background difference \(worstLN) % of sky")
        #expect(worstLinearFit > 1.5, "LinearFit keeps the gradient difference: \(worstLinearFit) % of sky")
    }

    @Test func lnAgainstAFlattenedReferenceStacksFlat() throws {
        let session = try Self.session.get()
        let referencePath = session.path + "/reference_flat.xisf"
        var parameters = ReferenceBuilder.Parameters()
        parameters.best = 10
        parameters.flatten = true
        parameters.extraction.model = .polynomial(degree: 1)
        let report = try ReferenceBuilder(parameters: parameters).build(paths: session.registered, output: referencePath, overwrite: true)
        #expect(try #require(report.gradientAfter) < report.gradientBefore / 3)
        var ln = LocalNormalizationParameters()
        ln.scale = 256
        let reference = try LocalNormalizationReference(path: referencePath, image: try ImageFile.read(referencePath), parameters: ln)
        let functions = try LocalNormalizationSet.fit(paths: session.registered, reference: reference)
        var stacking = IntegrationParameters.lights
        stacking.normalization = .local
        stacking.rejection = .winsorized
        let stack = try IntegrationEngine(parameters: stacking).integrate(paths: session.registered, local: functions).image
        stacking.normalization = .additiveScaling
        let global = try IntegrationEngine(parameters: stacking).integrate(paths: session.registered).image
        let truthFolder = session.path + "/truth"
        let lnFlatness = try #require(try ResultVerifier.verify(stack, file: "ln", truthFolder: truthFolder).flatnessPercent)
        let globalFlatness = try #require(try ResultVerifier.verify(global, file: "global", truthFolder: truthFolder).flatnessPercent)
        print("figure: stack flatness: LN to a flattened reference \(lnFlatness) %, additive+scaling \(globalFlatness) %; reference gradient \(report.gradientBefore) % → \(report.gradientAfter ?? .nan) %")
        #expect(lnFlatness <= 0.3, "LN stack flatness \(lnFlatness) %")
        #expect(globalFlatness > 3 * lnFlatness, "additive+scaling stack flatness \(globalFlatness) % vs LN \(lnFlatness) %")
        // `lerar run` applies LN inside the band pass instead of writing `_n` frames: the same stack, sample for sample.
        var inBand = stacking, fromFiles = stacking
        inBand.normalization = .local
        inBand.weighting = .none
        fromFiles.normalization = .none
        fromFiles.weighting = .none
        fromFiles.subtractPedestals = false
        fromFiles.rangeClipLow = false
        inBand.rangeClipLow = false
        var normalizedPaths: [String] = []
        for (path, function) in zip(session.registered, functions.functions) {
            let output = session.path + "/normalized/" + URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent + "_n.xisf"
            try FileManager.default.createDirectory(atPath: session.path + "/normalized", withIntermediateDirectories: true)
            try ImageFile.write(function.apply(to: try ImageFile.read(path)), to: output, options: ImageWriteOptions(sampleFormat: .float32, overwrite: true))
            normalizedPaths.append(output)
        }
        let bandStack = try IntegrationEngine(parameters: inBand).integrate(paths: session.registered, local: functions).image
        let fileStack = try IntegrationEngine(parameters: fromFiles).integrate(paths: normalizedPaths).image
        let largest = zip(bandStack.samples, fileStack.samples).reduce(Float(0)) { max($0, $1.0.isNaN && $1.1.isNaN ? 0 : abs($1.0 - $1.1)) }
        #expect(largest <= 1e-6, "LN in the band pass and from _n files differ by up to \(largest)")
        #expect(throws: IntegrationError.missingLocalNormalization) {
            var p = IntegrationParameters.lights
            p.normalization = .local
            _ = try IntegrationEngine(parameters: p).integrate(paths: session.registered)
        }
    }

    @Test func aReferenceWithADeadColumnAndNaNBordersGivesFiniteSurfacesAndNoDarkBorders() throws {
        let session = try Self.session.get()
        let original = try ImageFile.read(session.registered[0])
        var damaged = original
        let width = damaged.width, height = damaged.height
        damaged.withMutableSamples { s in
            for y in 0..<height { s[y * width + 100] = 0 }                               // dead column
            for y in 0..<height { for x in 0..<width where x < 20 || y >= height - 25 { s[y * width + x] = .nan } }   // borders
        }
        var ln = LocalNormalizationParameters()
        ln.scale = 256
        ln.pedestalADU = 100
        let reference = try LocalNormalizationReference(path: "damaged.xisf", image: damaged, parameters: ln)
        #expect(reference.missing.deadColumns == [100] && reference.missing.nanPixels > 0)
        let target = try ImageFile.read(session.registered[3])
        let function = try reference.function(for: target, path: session.registered[3])
        #expect(function.notes.contains { $0.contains("dead columns x = 100") && $0.contains("NaN pixels") }, "\(function.notes)")
        #expect(function.offsets.allSatisfy { $0.values.allSatisfy(\.isFinite) } && function.scales.allSatisfy(\.isFinite))
        let normalized = function.apply(to: target)
        var nanWhereData = 0
        normalized.withChannel(0) { n in target.withChannel(0) { t in for i in 0..<n.count where t[i].isFinite && t[i] != 0 && n[i].isNaN { nanWhereData += 1 } } }
        #expect(nanWhereData == 0)
        // No dark or bright border: the strip under the reference's missing area has the level of the frame's centre,
        // pedestal included.
        // No dark or bright border: where the reference has no data, the normalized frame still has the level the
        // undamaged reference has there (its gradient carried on), pedestal included.
        let plane = normalized.channelMean(), truth = original.channelMean(), pedestal = 100.0 / 65535
        func stripMedian(_ p: [Float], _ xs: Range<Int>, _ ys: Range<Int>) -> Double {
            BackgroundGrid.median(ys.flatMap { y in xs.map { x in Double(p[y * width + x]) } }.filter(\.isFinite))
        }
        let sky = stripMedian(truth, 150..<230, 150..<230)
        for (xs, ys) in [(150..<230, 150..<230), (0..<16, 150..<230), (150..<230, (height - 20)..<height)] {
            let got = stripMedian(plane, xs, ys), expected = stripMedian(truth, xs, ys) + pedestal
            #expect(abs(got - expected) / sky < 0.01, "strip \(xs) × \(ys): \(got), undamaged reference + pedestal \(expected)")
        }
    }

    @Test func framesAreNormalizedOnlyAgainstTheirOwnPanel() throws {
        let mosaic = try NormalizedSession(size: 256, lights: 3, panels: 2)
        let panels = try mosaic.registered.map { try ImageFile.readHeader($0).metadata.keyword("PANEL")?.intValue ?? 0 }
        let first = try #require(mosaic.registered.indices.first { panels[$0] == 1 })
        let second = mosaic.registered.indices.filter { panels[$0] == 2 }
        var ln = LocalNormalizationParameters()
        ln.scale = 128
        let reference = try LocalNormalizationReference(path: mosaic.registered[first], image: try ImageFile.read(mosaic.registered[first]), parameters: ln)
        let own = mosaic.registered.indices.filter { panels[$0] == 1 }.map { mosaic.registered[$0] }
        #expect(try LocalNormalizationSet.fit(paths: own, reference: reference).functions.count == own.count)
        #expect {
            _ = try LocalNormalizationSet.fit(paths: second.map { mosaic.registered[$0] }, reference: reference)
        } throws: { error in
            "\(error.localizedDescription)".contains("normalize each panel against its own reference")
        }
    }

    @Test func backgroundExtractionRemovesAGradient() throws {
        var image = Image(width: 300, height: 200)
        var random = SeededRandom(seed: 5)
        image.withMutableSamples { s in
            for y in 0..<200 { for x in 0..<300 {
                s[y * 300 + x] = Float(0.05 * (1 + 0.1 * Double(x) / 300 - 0.05 * Double(y) / 200 + 0.04 * pow(Double(x - 150) / 150, 2)) + 0.0005 * random.gaussian())
            } }
        }
        for model in [BackgroundExtraction.Model.polynomial(degree: 2), .surface] {
            var parameters = BackgroundExtraction.Parameters()
            parameters.model = model
            let (corrected, _) = try BackgroundExtraction.apply(image, parameters: parameters)
            #expect(ReferenceBuilder.gradientPercent(image) > 8)
            #expect(ReferenceBuilder.gradientPercent(corrected) < 0.3, "\(model): \(ReferenceBuilder.gradientPercent(corrected)) %")
        }
    }
}
