import Foundation
import LerarCore
import LerarIO
import LerarSimulator

/// Time to render one 4096×4096 light, and to write the default demo session (1024², 12 lights + calibration).
func runSimulatorBenchmark(folder: String) throws {
    var big = SessionConfiguration()
    big.width = 4096
    big.height = 4096
    big.lightsPerFilter = 1
    let start = DispatchTime.now().uptimeNanoseconds
    let renderer = FrameRenderer(plan: SessionPlan(configuration: big))
    let setup = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let light = renderer.plan.frames.first { $0.kind == .light }!
    var times: [Double] = []
    for _ in 0..<3 {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let adu = renderer.render(light)
        precondition(adu.count == 4096 * 4096)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    print(String(format: "\nsimulator: one 4096×4096 light renders in %.2f s (best of 3; one core; %.2f s session set-up: sensor, optics, catalogue)",
                 times.min()!, setup))
    let sessionFolder = folder + "/demo-session"
    try? FileManager.default.removeItem(atPath: sessionFolder)
    let summary = try SessionWriter(configuration: SessionConfiguration()).write(to: sessionFolder)
    print(String(format: "simulator: default demo session (%d frames, %d MB) written in %.2f s on %d cores (target < 20 s)",
                 summary.files.count, summary.bytes / 1_000_000, summary.seconds, Parallel.coreCount))
    try? FileManager.default.removeItem(atPath: sessionFolder)
}
