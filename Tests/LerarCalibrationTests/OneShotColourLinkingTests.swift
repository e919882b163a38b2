import Foundation
import LerarCore
@testable import LerarCalibration
import Testing

/// Linking one-shot-colour sessions: flats must be mosaics with the lights' pattern, and lights of different
/// patterns (two cameras, or a file re-saved upside down) never share a group.
@Suite struct OneShotColourLinkingTests {
    @Test func flatsWithoutAPatternAreNotUsedForColourLights() throws {
        let session = try LinkSession(filters: ["L"], osc: true)
        try session.rewrite("flats") { $0.removeKeyword("BAYERPAT") }
        let plan = try session.plan()
        let links = try #require(plan.lights.first)
        #expect(links.flat.status == .missing, "\(links.flat.status) \(links.flat.reason)")
        #expect((links.flat.nearestCandidateRejection ?? "").contains("CFA pattern unknown, light is CFA pattern RGGB"), "\(links.flat.nearestCandidateRejection ?? "-")")
    }

    @Test func lightsOfTwoPatternsAreTwoGroupsEachLinkingOnlyItsOwnFlats() throws {
        let session = try LinkSession(filters: ["L"], osc: true)
        let lights = session.files(in: "lights")
        try session.rewrite("lights", matching: (lights.last! as NSString).lastPathComponent) { $0.setKeyword(.string("BAYERPAT", "BGGR")) }
        let plan = try session.plan()
        #expect(plan.lights.count == 2, "two light groups, one per pattern")
        for links in plan.lights {
            let group = try #require(plan.group(links.lightGroup))
            if group.bayerPattern == "RGGB" {
                #expect(links.flat.status == .ok)
            } else {
                #expect(group.bayerPattern == "BGGR" && group.members.count == 1)
                #expect(links.flat.status == .missing && (links.flat.nearestCandidateRejection ?? "").contains("CFA pattern RGGB, light is CFA pattern BGGR"))
            }
        }
    }
}
