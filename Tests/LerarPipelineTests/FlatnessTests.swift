import Foundation
import LerarCore
@testable import LerarPipeline
import LerarSimulator
import Testing

/// The default run on subs whose gradients differ in direction and strength, with a large faint galaxy in the field:
/// the stack's background is flat and the galaxy keeps its flux.
@Suite(.serialized) struct FlatnessTests {
    @Test func defaultRunStacksFlatAndKeepsAnExtendedObject() throws {
        // 1024² is the smallest size at which the LN scale (half the short side) stays well above the galaxy's
        // size in cells; gradients 3–12 % of the sky across the frame, transparency 0.6–1, a meridian flip.
        let size = 1024
        let session = try PipelineSession(name: "flatness", size: size, lights: 16, seed: 2) { c in
            c.exposure = 120
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
        print(String(format: "figure: default run, 16 × 1024² with a galaxy: flatness %.3f %% of sky, galaxy flux %.1f %% of the truth, trail residue %.2f σ",
                     flatness, 100 * flux, report.trailResidueSigma ?? .nan))
        // Measured 0.11–0.18 % at this size over three seeds (the verifier's own floor on the noisy truth sky is
        // 0.08 %); 0.065 % on the 24 × 2048² benchmark session. Before LN modelled the difference image: 0.23 %.
        #expect(flatness <= 0.2, "flatness \(flatness) % of sky")
        #expect(abs(flux - 1) <= 0.05, "galaxy flux \(flux) of the truth")
    }
}
