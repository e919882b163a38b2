import Foundation
import LerarCore
import LerarIO
import LerarSimulator

/// `lerar-bench finish-masters DIR SIZE`: four registered linear masters (L, R, G, B) of SIZE² px for the finish
/// benchmark — the simulator's noise-free sky of each filter (green-tinted sky, coloured stars, the pink galaxy) plus
/// the noise of a 24 × 120 s stack, clipped at full scale — as Float32 FITS with their FILTER keyword, shared with Siril's run.
func writeFinishMasters(folder: String, size: Int) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var c = SessionConfiguration()
    c.width = size; c.height = size
    c.filters = ["L", "R", "G", "B"]
    c.exposure = 120
    c.lightsPerFilter = 1
    c.extendedObject = .standard(width: size, height: size)
    let renderer = FrameRenderer(plan: SessionPlan(configuration: c))
    var random = SeededRandom(seed: 5)
    for filter in c.filters {
        var image = renderer.truthSky(filter: filter, panel: 1)
        // Shot noise of the stack: the sky's photo-electrons over 24 subs at 0.8 e-/ADU, in normalised units.
        let skyADU = Double(image.withChannel(0) { RobustStatistics.median($0) }) * 65535
        let sigma = Float((skyADU / c.electronsPerADU / 24).squareRoot() * c.electronsPerADU / 65535)
        // Saturated star cores clip at full scale, as in real masters (the truth sky is not clipped).
        image.withMutableChannel(0) { plane in for i in 0..<plane.count { plane[i] = min(1, plane[i] + sigma * Float(random.gaussian())) } }
        image.metadata.setKeyword(.string("FILTER", filter))
        try ImageFile.write(image, to: "\(folder)/masterLight_\(filter).fits", options: ImageWriteOptions(sampleFormat: .float32, overwrite: true))
    }
}
