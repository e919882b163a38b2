import Foundation
import LerarCore
import LerarIO
import Testing
@testable import LerarCalibration

@Suite struct LinkingTests {
    @Test func aCompleteSessionLinksFully() throws {
        let session = try LinkSession()
        let plan = try session.plan()
        #expect(plan.fullyLinked)
        #expect(plan.lights.count == 2)
        for filter in ["L", "R"] {
            let links = try #require(plan.links(filter: filter))
            #expect(links.dark.status == .ok && links.dark.reason.hasPrefix("same exposure"))
            #expect(links.bias.status == .notNeeded)
            #expect(links.flat.status == .ok && plan.group(links.flat.group)?.filter == filter)
            #expect(links.flatCalibration?.status == .ok && plan.group(links.flatCalibration?.group)?.type == .darkFlat)
            // The dark-flat has the flat's exposure (L flats 1 s, R flats 2 s).
            #expect(plan.group(links.flatCalibration?.group)?.exposure == plan.group(links.flat.group)?.exposure)
        }
        // Frames: 6 lights, 10 flats, 10 dark-flats (two exposures), 10 darks (two exposures), 5 bias; truth files skipped with a reason.
        #expect(plan.frames.count == 41)
        #expect(plan.skipped.allSatisfy { $0.path.contains("/truth/") && $0.reason.contains("no IMAGETYP") })
        #expect(plan.notes.contains { $0.contains("EXPTIME-600s") && $0.contains("calibrates no light group") })
        #expect(plan.groups.contains { $0.id == "Dark_BIN-1_64x64_EXPTIME-300s_GAIN-100_OFFSET-50_TEMP--10C" })
    }

    @Test func darksOfAnotherGainAreRefusedWithTheReason() throws {
        let session = try LinkSession(filters: ["L"])
        try session.rewrite("darks") { $0.setKeyword(.integer("GAIN", 139)) }
        let plan = try session.plan()
        #expect(!plan.fullyLinked)
        let dark = try #require(plan.links(filter: "L")).dark
        #expect(dark.status == .missing)
        #expect(dark.nearestCandidate?.contains("gain 139") == true)
        #expect(dark.nearestCandidateRejection == "gain 139, light is gain 100")
        // The flats are untouched: their dark-flats still fit.
        #expect(plan.links(filter: "L")?.flatCalibration?.status == .ok)
        // WBPP's rules would take them anyway.
        let wbpp = try session.plan(LinkRules(wbppCompatible: true))
        #expect(wbpp.links(filter: "L")?.dark.group?.hasPrefix("Dark_") == true)
    }

    @Test func darksWarmerThanTheToleranceAreRefused() throws {
        let session = try LinkSession(filters: ["L"])
        try session.rewrite("darks") { metadata in
            metadata.setKeyword(.number("SET-TEMP", -3))
            metadata.setKeyword(.number("CCD-TEMP", -3))
        }
        let plan = try session.plan()
        let dark = try #require(plan.links(filter: "L")).dark
        #expect(dark.status == .missing)
        #expect(dark.nearestCandidateRejection?.contains("temperature -3.0 °C, light is -10.0 °C (tolerance 2 °C)") == true)
        #expect(try session.plan(LinkRules(temperatureTolerance: 8)).links(filter: "L")?.dark.status == .ok)
    }

    @Test func aFilterWithoutFlatsIsBrokenAndNamesTheNearestFlat() throws {
        let session = try LinkSession()
        try session.remove("flats/R")
        let plan = try session.plan()
        #expect(!plan.fullyLinked)
        #expect(plan.links(filter: "L")?.fullyLinked == true)
        let flat = try #require(plan.links(filter: "R")).flat
        #expect(flat.status == .missing && flat.reason == "no flat for filter R")
        #expect(flat.nearestCandidate?.contains("flat · L") == true && flat.nearestCandidateRejection == "filter L, light is filter R")
    }

    @Test func missingDarkFlatsFallBackToTheBiasWithAWarning() throws {
        let session = try LinkSession(filters: ["L"])
        try session.remove("darkflats")
        let plan = try session.plan()
        #expect(plan.fullyLinked)
        let calibration = try #require(plan.links(filter: "L")?.flatCalibration)
        #expect(calibration.status == .warning && plan.group(calibration.group)?.type == .bias)
        #expect(calibration.reason.contains("no dark-flats for 1 s"))
        // Without the bias either, the flat cannot be calibrated: a broken link.
        try session.remove("bias")
        let broken = try session.plan()
        #expect(!broken.fullyLinked && broken.links(filter: "L")?.flatCalibration?.status == .missing)
    }

    @Test func longerDarksAreScaledShorterOnesRefused() throws {
        let session = try LinkSession(filters: ["L"])
        try session.remove("darks", matching: "_300.00s_")
        let longer = try session.plan()
        let dark = try #require(longer.links(filter: "L")).dark
        #expect(dark.status == .warning && dark.darkScale == 0.5)
        #expect(dark.reason.contains("600 s dark is scaled by 0.5"))
        #expect(longer.links(filter: "L")?.bias.status == .ok, "a scaled dark needs the bias")
        #expect(longer.fullyLinked)

        try session.rewrite("darks") { $0.setKeyword(.number("EXPTIME", 120)) }
        let shorter = try session.plan()
        let short = try #require(shorter.links(filter: "L")).dark
        #expect(short.status == .missing && short.reason.contains("only shorter darks"))
        #expect(short.nearestCandidateRejection == "exposure 120 s is shorter than the light's 300 s")
    }

    @Test func aLongerDarkWithoutABiasCannotBeScaled() throws {
        let session = try LinkSession(filters: ["L"])
        try session.remove("darks", matching: "_300.00s_")
        try session.remove("bias")
        let dark = try #require(try session.plan().links(filter: "L")).dark
        #expect(dark.status == .missing && dark.reason.contains("needs a master bias"))
    }

    @Test func foldersClassifyFramesWithoutIMAGETYP() throws {
        let session = try LinkSession(filters: ["L"], format: "xisf")
        for folder in ["lights", "darks", "flats", "bias", "darkflats"] { try session.rewrite(folder) { $0.removeKeyword("IMAGETYP") } }
        let plan = try session.plan()
        #expect(plan.fullyLinked)
        #expect(plan.frames.allSatisfy { $0.typeSource == "folder/file name" })
        #expect(plan.frames.filter { $0.type == .darkFlat }.count == 5)
        #expect(plan.frames.filter { $0.type == .light }.count == 3)
    }

    @Test func forcedLinksAreUsedAndTheirBrokenRulesFlagged() throws {
        let session = try LinkSession(filters: ["L"])
        try session.rewrite("darks") { $0.setKeyword(.integer("GAIN", 139)) }
        let reference = session.path + "/reference_master.xisf"
        try ImageFile.write(Image(width: 64, height: 64), to: reference)
        let darkID = try session.plan().groups.first { $0.type == .dark && $0.exposure == 300 }!.id
        let file = session.path + "/overrides.json"
        try Data("""
        {"schemaVersion": 1, "links": [{"lights": {"filter": "L"}, "dark": "\(darkID)", "lnReference": "reference_master.xisf"}]}
        """.utf8).write(to: URL(fileURLWithPath: file))
        let plan = try session.plan(overrides: try LinkOverrides.load(file))
        let links = try #require(plan.links(filter: "L"))
        #expect(links.dark.forced && links.dark.status == .warning)
        #expect(links.dark.violations == ["gain 139, light is gain 100"])
        #expect(links.dark.reason.contains("forced by overrides, breaking: gain 139"))
        #expect(links.lnReference == reference)
        #expect(plan.fullyLinked, "a forced link counts as a link, flagged")

        // A forced master file that breaks nothing is simply linked.
        let master = session.path + "/masterDark_300s.xisf"
        var image = try ImageFile.read(session.files(in: "darks").first { $0.contains("_300.00s_") }!)
        image.metadata.setKeyword(.integer("GAIN", 100))
        image.metadata.setKeyword(.string("IMAGETYP", "Master Dark"))
        try ImageFile.write(image, to: master)
        try Data("""
        {"schemaVersion": 1, "links": [{"lights": {"exposure": 300}, "dark": "masterDark_300s.xisf"}]}
        """.utf8).write(to: URL(fileURLWithPath: file))
        let clean = try session.plan(overrides: try LinkOverrides.load(file))
        let dark = try #require(clean.links(filter: "L")).dark
        #expect(dark.forced && dark.status == .ok && dark.violations.isEmpty)
        #expect(clean.group(dark.group)?.isMaster == true)

        try Data(#"{"schemaVersion": 1, "links": [{"lights": {"filter": "Ha"}, "dark": "x"}]}"#.utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: CalibrationError.self) { try session.plan(overrides: try LinkOverrides.load(file)) }
        try Data(#"{"schemaVersion": 2, "links": []}"#.utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: CalibrationError.self) { try LinkOverrides.load(file) }
    }

    @Test func aMosaicIsGroupedPerPanel() throws {
        let session = try LinkSession(filters: ["L"], panels: 2)
        let merged = try session.plan()
        #expect(merged.lights.count == 1 && merged.group(merged.lights[0].lightGroup)?.members.count == 6)
        let plan = try session.plan(LinkRules(groupBy: ["OBJECT"]))
        #expect(plan.lights.count == 2 && plan.fullyLinked)
        for panel in ["M31 Panel 1", "M31 Panel 2"] {
            let links = try #require(plan.links(filter: "L", value: panel))
            #expect(plan.group(links.lightGroup)?.members.count == 3)
            #expect(plan.group(links.lightGroup)?.id.hasSuffix("OBJECT-M31-Panel-\(panel.suffix(1))") == true)
            #expect(links.flat.status == .ok) // flats carry no OBJECT: they serve both panels
        }
    }

    @Test func unreadableAndUnknownFilesAreListedWithTheirReason() throws {
        let session = try LinkSession(filters: ["L"])
        _ = FileManager.default.createFile(atPath: session.path + "/lights/L/broken.fits", contents: Data(repeating: 7, count: 100))
        try ImageFile.write(Image(width: 8, height: 8), to: session.path + "/notes.xisf")
        let plan = try session.plan()
        #expect(plan.skipped.contains { $0.path.hasSuffix("broken.fits") && $0.reason.contains("truncated") })
        #expect(plan.skipped.contains { $0.path.hasSuffix("notes.xisf") && $0.reason.contains("no IMAGETYP") })
        #expect(plan.fullyLinked)
    }

    @Test func oneShotColorFlatsMustBeColourToo() throws {
        let session = try LinkSession(osc: true)
        let plan = try session.plan()
        #expect(plan.fullyLinked)
        try session.rewrite("flats") { $0.removeKeyword("BAYERPAT") }
        let broken = try session.plan()
        #expect(broken.lights[0].flat.nearestCandidateRejection == "CFA pattern unknown, light is CFA pattern RGGB")
    }
}
