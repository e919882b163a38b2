import Foundation
import LerarCore
@testable import LerarPipeline
import LerarSimulator
import Testing

/// The default run on subs whose gradients differ in direction and strength, with a large faint galaxy in the field:
/// the stack's background is flat and the galaxy keeps its flux.
@Suite(.serialized) struct FlatnessTests {
    @Test func defaultRunStacksFlatAndKeepsAnExtendedObject() throws {
        // 2048² with 8 subs of 300 s: at 1024² the LN scale (half the short side) sits close to the galaxy's size, and
        // the stacks there read 0.11–0.16 % (0.06 % of it the verifier's floor at their noise); gradients 3–12 % of
        // the sky across the frame in every direction, transparency 0.6–1, a meridian flip, two satellite trails.
        let size = 2048
        let session = try PipelineSession(name: "flatness", size: size, lights: 8, seed: 2) { c in
            c.exposure = 300
            c.fwhmRange = 2.2...4.5
            c.transparencyRange = 0.6...1.0
            c.trailCount = 2
            c.extendedObject = .standard(width: size, height: size)
        }
        defer { session.remove() }
        let summary = try session.run()
        let stack = try #require(summary.stacks.first)
        let report = try session.verify(try #require(stack.master))
        let flatness = try #require(report.flatnessPercent), flux = try #require(report.extendedObjectFluxRatio)
        print(String(format: "figure: default run, 8 × 2048² with a galaxy: flatness %.3f %% of sky, galaxy flux %.1f %% of the truth, trail residue %.2f σ",
                     flatness, 100 * flux, report.trailResidueSigma ?? .nan))
        // The verifier subtracts the truth's stars at the stack's FWHM before it measures (its floor on the truth sky
        // with this stack's 1.3 % noise: 0.06 %). Measured with `lerar run` on this session's options: 0.066, 0.079,
        // 0.046 % for seeds 2, 3, 4; 0.055 % on the 24 × 2048² benchmark session.
        #expect(flatness <= 0.1, "flatness \(flatness) % of sky")
        #expect(abs(flux - 1) <= 0.05, "galaxy flux \(flux) of the truth")
    }
}
