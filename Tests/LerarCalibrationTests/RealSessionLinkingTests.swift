import Foundation
import LerarCore
import LerarIO
import Testing
@testable import LerarCalibration

/// Sessions as people keep them: several nights, linked libraries, pre-built masters, odd headers, frames already
/// calibrated elsewhere.
@Suite struct RealSessionLinkingTests {
    @Test func eachNightTakesItsOwnFlatsAndAllNightsShareTheDarks() throws {
        let session = try LinkSession(filters: ["L"], nights: 2)
        let plan = try session.plan()
        #expect(plan.fullyLinked)
        let lights = plan.lights.compactMap { plan.group($0.lightGroup) }
        #expect(Set(lights.compactMap(\.night)) == ["NIGHT_1", "NIGHT_2"])
        for links in plan.lights {
            let light = try #require(plan.group(links.lightGroup)), flat = try #require(plan.group(links.flat.group))
            #expect(flat.night == light.night && links.flat.status == .ok, "\(light.id) took \(flat.id)")
            #expect(links.flat.reason.contains("same night"))
            #expect(flat.members.allSatisfy { $0.contains("/\(light.night!)/") })
        }
        // One dark group for both nights.
        #expect(Set(plan.lights.compactMap(\.dark.group)).count == 1)
        #expect(LinkTreeFormatter.render(plan, color: false).contains("NIGHT_2 · 3 frames"))

        // Without night 2's flats, night 2 takes night 1's, with a warning that says how far apart they are.
        try session.remove("NIGHT_2/flats")
        let fallback = try session.plan()
        let night2 = try #require(fallback.lights.first { fallback.group($0.lightGroup)?.night == "NIGHT_2" })
        #expect(night2.flat.status == .warning && night2.flat.reason.contains("flats of night NIGHT_1 for lights of night NIGHT_2"))
        #expect(night2.flat.reason.contains("1.0 days apart"))
    }

    @Test func nightsComeFromDatesWhenFoldersDoNotSayAndKeywordsFromPaths() throws {
        let session = try LinkSession(filters: ["L"], nights: 2)
        // Flatten the layout: only DATE-OBS tells the nights apart now; a rotator angle is written in folder names.
        let fm = FileManager.default
        for night in [1, 2] {
            for kind in ["lights", "flats"] {
                let target = "\(session.path)/\(kind)/ROT_\(night * 45)"
                try fm.createDirectory(atPath: target, withIntermediateDirectories: true)
                for file in session.files(in: "NIGHT_\(night)/\(kind)") {
                    try fm.moveItem(atPath: file, toPath: target + "/n\(night)_" + URL(fileURLWithPath: file).lastPathComponent)
                }
            }
            try fm.removeItem(atPath: "\(session.path)/NIGHT_\(night)")
        }
        let plan = try session.plan()
        let nights = Set(plan.lights.compactMap { plan.group($0.lightGroup)?.night })
        #expect(nights == ["2024-03-01", "2024-03-02"], "\(nights)")
        for links in plan.lights { #expect(plan.group(links.flat.group)?.night == plan.group(links.lightGroup)?.night) }
        // ROT as a calibration keyword splits the flats by angle too; as a post keyword it only splits stacks.
        let pre = try session.plan(LinkRules(groupBy: ["ROT"]))
        for links in pre.lights { #expect(pre.group(links.flat.group)?.groupingValues["ROT"] == pre.group(links.lightGroup)?.groupingValues["ROT"]) }
        let post = try session.plan(LinkRules(groupBy: ["ROT:post"]))
        #expect(post.frames.filter { $0.type == .light }.allSatisfy { $0.groupingValues.isEmpty && $0.stackValues?["ROT"] != nil })
        #expect(throws: CalibrationError.self) { try session.plan(LinkRules(groupBy: ["ROT:sometimes"])) }
    }

    @Test func symlinkedLibrariesAreFollowedAndLoopsStopped() throws {
        let session = try LinkSession(filters: ["L"])
        let fm = FileManager.default
        let library = NSTemporaryDirectory() + "lerar-library-" + UUID().uuidString
        defer { try? fm.removeItem(atPath: library) }
        try fm.createDirectory(atPath: library, withIntermediateDirectories: true)
        try fm.moveItem(atPath: session.path + "/darks", toPath: library + "/darks")
        try fm.createSymbolicLink(atPath: session.path + "/darks", withDestinationPath: library + "/darks")
        try fm.createSymbolicLink(atPath: session.path + "/lights/loop", withDestinationPath: session.path + "/lights")
        let link = NSTemporaryDirectory() + "lerar-session-link-" + UUID().uuidString
        try fm.createSymbolicLink(atPath: link, withDestinationPath: session.path)
        defer { try? fm.removeItem(atPath: link) }
        let plan = try LinkPlan.make(roots: [link], rules: LinkRules())
        #expect(plan.fullyLinked)
        #expect(plan.frames.filter { $0.type == .dark }.count == 10)
        #expect(plan.frames.filter { $0.type == .light }.count == 3, "the loop must not catalogue the lights twice")
        #expect(plan.skipped.contains { $0.path.hasSuffix("/lights/loop") && $0.reason.contains("already scanned") })
    }

    @Test func prebuiltMastersLinkAsTheyAre() throws {
        let session = try LinkSession(filters: ["L"])
        let built = try MasterBuilder(plan: try session.plan(), outputFolder: session.path + "/library").build()
        #expect(built.count >= 4)
        for folder in ["darks", "bias", "flats", "darkflats"] { try session.remove(folder) }
        let plan = try session.plan()
        #expect(plan.fullyLinked, "\(LinkTreeFormatter.render(plan, color: false))")
        let links = try #require(plan.links(filter: "L"))
        for decision in [links.dark, links.flat] {
            let group = try #require(plan.group(decision.group))
            #expect(group.isMaster && group.members.count == 1 && group.members[0].contains("/library/master"), "\(group.id)")
        }
        #expect(LinkTreeFormatter.render(plan, color: false).contains("dark master"))
        // Siril's names and a stacked-frame count mark masters too.
        #expect(CatalogedFrame.isMasterFile(ImageFileHeader.stub(path: "/s/darks/dark_stacked.fit")))
        #expect(CatalogedFrame.isMasterFile(ImageFileHeader.stub(path: "/s/darks/d.fit", keywords: [.integer("NCOMBINE", 20)])))
        #expect(!CatalogedFrame.isMasterFile(ImageFileHeader.stub(path: "/Masterclass/darks/d.fit")))
    }

    @Test func theNearestTemperatureWinsAndTheChoiceIsExplained() throws {
        let session = try LinkSession(filters: ["L"])
        // Half of the bias frames at −5 °C; lights, darks and flats at −5 °C too: the −5 °C bias must calibrate the flats.
        try session.remove("darkflats")
        let bias = session.files(in: "bias")
        for (index, file) in bias.enumerated() where index >= 2 {
            try FileManager.default.copyItem(atPath: file, toPath: file.replacingOccurrences(of: ".fits", with: "_warm.fits"))
        }
        try session.rewrite("bias", matching: "_warm") { $0.setKeyword(.number("SET-TEMP", -5)); $0.setKeyword(.number("CCD-TEMP", -5)) }
        for folder in ["lights", "darks", "flats"] { try session.rewrite(folder) { $0.setKeyword(.number("SET-TEMP", -5)); $0.setKeyword(.number("CCD-TEMP", -5)) } }
        let plan = try session.plan()
        let links = try #require(plan.links(filter: "L"))
        let flatBias = try #require(plan.group(links.flatCalibration?.group))
        #expect(flatBias.type == .bias && flatBias.temperature == -5, "\(flatBias.id)")
        #expect(plan.group(links.bias.group)?.temperature == -5)
        #expect(links.bias.reason.contains("nearest in temperature") || links.bias.status == .notNeeded)
        let biasDecision = CalibrationLinker(groups: plan.groups, rules: plan.rules).findBias(for: try #require(plan.group(links.lightGroup)))
        #expect(biasDecision.reason.contains("nearest in temperature (-5.0 °C, light -5.0 °C)"), "\(biasDecision.reason)")
        #expect(!plan.notes.contains { $0.contains("Bias_") && $0.contains("TEMP--5C") && $0.contains("calibrates no light group") })
    }

    @Test func mastersOfFewFramesAreWarned() throws {
        let session = try LinkSession(filters: ["L"])
        for (index, file) in session.files(in: "darks").enumerated() where index > 0 && file.contains("_300.00s_") { try FileManager.default.removeItem(atPath: file) }
        let dark = try #require(try session.plan().links(filter: "L")).dark
        #expect(dark.status == .warning && dark.reason.contains("only 1 frame (fewer than 5)"), "\(dark.reason)")
    }

    @Test func oddHeadersFromCaptureProgramsAreRead() throws {
        let session = try LinkSession(filters: ["L"])
        // MaxIm/CCDSoft spellings, EXPOSURE instead of EXPTIME, no CCD-TEMP (only the set point).
        let types = ["lights": "Light Frame", "darks": "Dark Frame", "bias": "Bias Frame", "flats": "Flat Field", "darkflats": "Dark Frame"]
        for (folder, type) in types {
            try session.rewrite(folder) { metadata in
                let exposure = metadata.acquisition.exposure ?? 0
                metadata.setKeyword(.string("IMAGETYP", type))
                metadata.removeKeyword("EXPTIME")
                metadata.setKeyword(.number("EXPOSURE", exposure, comment: "Exposure time in seconds"))
                metadata.removeKeyword("CCD-TEMP")
            }
        }
        let plan = try session.plan()
        #expect(plan.fullyLinked, "\(LinkTreeFormatter.render(plan, color: false))")
        #expect(plan.frames.first { $0.type == .light }?.exposure == 300)
        // Milliseconds are read as such when the comment says so.
        let milliseconds = ImageMetadata(keywords: [FITSKeyword(name: "EXPOSURE", value: "120000", comment: "[ms] exposure")])
        #expect(milliseconds.acquisition.exposure == 120)
        #expect(ImageMetadata(keywords: [FITSKeyword(name: "EXPOINUS", value: "2500000")]).acquisition.exposure == 2.5)
    }

    @Test func flatsTypedAsLightsByTheirHeaderFollowTheirFolder() throws {
        let session = try LinkSession(filters: ["L"])
        try session.rewrite("flats") { $0.setKeyword(.string("IMAGETYP", "Light Frame")) } // CCDSoft
        let plan = try session.plan()
        #expect(plan.fullyLinked)
        #expect(plan.frames.filter { $0.type == .flat }.count == 5)
        let warning = try #require(plan.warnings?.first)
        #expect(warning.contains("IMAGETYP 'Light Frame' says light, the path says flat: taken as flat (--type-from path)"))
        #expect(LinkTreeFormatter.render(plan, color: false).contains("⚠ 5 of 5 frames of Flat_"))
        // WBPP's rule: the header wins, the flats become lights, and the L lights have no flat.
        let header = try session.plan(LinkRules(typeFrom: .header))
        #expect(!header.fullyLinked)
        #expect(header.frames.filter { $0.type == .light }.count == 8)
    }

    @Test func lightsCalibratedElsewhereNeedNoMasters() throws {
        let session = try LinkSession(filters: ["L"])
        for folder in ["darks", "bias", "flats", "darkflats"] { try session.remove(folder) }
        try session.rewrite("lights") { metadata in
            metadata.setKeyword(.string("CALSTAT", "BDF"))
            metadata.setKeyword(.number("PEDESTAL", -100, comment: "Correction to add for zero-based ADU"))
            metadata.addHistory("Calibrate")
        }
        let plan = try session.plan()
        #expect(plan.fullyLinked)
        let links = try #require(plan.links(filter: "L"))
        #expect(links.decisions.allSatisfy { $0.status == .notNeeded })
        #expect(links.dark.reason.contains("CALSTAT = 'BDF'"))
        #expect(plan.notes.contains { $0.contains("already calibrated (bias, dark and flat") })
        #expect(ImageMetadata(keywords: [.number("PEDESTAL", -100)]).acquisition.pedestal == 100)
        // Only bias and dark applied: the flat is still needed.
        try session.rewrite("lights") { $0.setKeyword(.string("CALSTAT", "BD")) }
        let partial = try #require(try session.plan().links(filter: "L"))
        #expect(partial.dark.status == .notNeeded && partial.flat.status == .missing)
    }
}

extension ImageFileHeader {
    static func stub(path: String, keywords: [FITSKeyword] = [.string("IMAGETYP", "DARK")]) -> ImageFileHeader {
        ImageFileHeader(path: path, format: .fits, width: 8, height: 8, colorSpace: .gray, sampleFormat: .uint16, compression: nil,
                        pixelStorage: "Planar", checksum: nil, metadata: ImageMetadata(keywords: keywords), warnings: [])
    }
}
