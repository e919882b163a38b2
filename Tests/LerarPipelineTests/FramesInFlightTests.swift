import Testing
@testable import LerarPipeline

/// A budget that cannot hold Lerar's least frames in flight is said, with what they need: 60-megapixel
/// frames (240 MB as Float32) on the default 512 MB peaked at 1.5 GB, and no warning said so.
@Suite struct FramesInFlightTests {
    @Test func aBudgetTooSmallForTheLeastFramesInFlightIsSaid() throws {
        let mib = 1 << 20
        let sixtyMegapixels = 7744 * 7744 * 4
        let frames = FramesInFlight.limit(frameBytes: sixtyMegapixels, budget: 512 * mib, cores: 32)
        #expect(frames == 2)
        let warning = try #require(FramesInFlight.budgetShortfall(frameBytes: sixtyMegapixels, framesInFlight: frames, budgetMB: 512))
        #expect(warning.contains("output.memoryBudget is 512 MB") && warning.contains("about 687 MB each")
                && warning.contains("its 228 MB image") && warning.contains("about 1374 MB for the frames in flight"), "\(warning)")
        // Enough for two: nothing to say; 24 × 4096² frames (64 MiB) on the default budget fit two.
        #expect(FramesInFlight.budgetShortfall(frameBytes: sixtyMegapixels, framesInFlight: 2, budgetMB: 1374) == nil)
        let fourK = 4096 * 4096 * 4
        #expect(FramesInFlight.budgetShortfall(frameBytes: fourK, framesInFlight: FramesInFlight.limit(frameBytes: fourK, budget: 512 * mib, cores: 16), budgetMB: 512) == nil)
        // One core: one frame, and it is said so.
        #expect(FramesInFlight.budgetShortfall(frameBytes: sixtyMegapixels, framesInFlight: 1, budgetMB: 512)?.contains("the 1 frame in flight") == true)
    }
}
