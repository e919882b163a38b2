import Foundation
import LerarCore
import LerarDebayer
import LerarIntegration
import LerarIO
import LerarNormalization
import LerarRegistration

/// `lerar-bench stage resample|analyze|ln|drizzle|debayer-vng|debayer-bilinear|debayer-superpixel FILE [REPEATS]` (debayer: the
/// frame taken as an RGGB mosaic; ln: one frame normalized to a shifted copy of itself at
/// scale 1024: background models, star photometry and the surfaces applied; the reference is analysed once, as in
/// a run): one registration step on one frame, in process, best and
/// median of the repeats, so a change to a hot loop can be measured without the file I/O around it.
func runStageBenchmark(_ stage: String, path: String, repeats: Int) throws {
    let image = try ImageFile.read(path)
    let registrar = Registrar()
    var lnReference: LocalNormalizationReference?
    if stage == "ln" {
        var reference = image
        reference.withMutableSamples { for i in 0..<$0.count { $0[i] = $0[i] * 1.05 + 0.001 } }
        lnReference = try LocalNormalizationReference(path: "reference", image: reference, parameters: LocalNormalizationParameters())
    }
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        switch stage {
        case "resample":
            let transform = AffineTransform2D.rotation(0.003, about: (Double(image.width) / 2, Double(image.height) / 2), shift: (3.37, -2.71))
            let out = Resampler().resample(image, outputToSource: transform, width: image.width, height: image.height)
            precondition(!out[100, 100].isNaN)
        case "ln":
            let function = try lnReference!.function(for: image, path: path)
            precondition(!function.apply(to: image)[100, 100].isNaN)
        case "analyze":
            precondition(!registrar.analyze(image).stars.isEmpty)
        case "drizzle":
            // One frame dropped onto a ×2 grid (drop 0.9, square), as each frame of a drizzle integration is.
            var drizzle = DrizzleAccumulator(referenceWidth: image.width, referenceHeight: image.height, channels: image.channelCount)
            drizzle.add(image, toReference: AffineTransform2D.rotation(0.003, about: (Double(image.width) / 2, Double(image.height) / 2), shift: (3.37, -2.71)))
            precondition(drizzle.width == 2 * image.width)
        case "debayer-vng", "debayer-bilinear", "debayer-superpixel":
            let method = DebayerMethod(rawValue: String(stage.dropFirst("debayer-".count)))!
            let rgb = try Debayer.debayer(image, layout: CFALayout(pattern: .rggb), method: method)
            precondition(rgb.channelCount == 3)
        default:
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "unknown stage \(stage)"])
        }
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    let sorted = times.sorted()
    print(String(format: "%@ %d×%d: best %.3f s, median %.3f s (%d runs, %d cores)", stage, image.width, image.height,
                 sorted[0], sorted[sorted.count / 2], repeats, Parallel.coreCount))
}
