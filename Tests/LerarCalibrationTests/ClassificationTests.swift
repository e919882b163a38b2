import Foundation
import Testing
@testable import LerarCalibration

@Suite struct ClassificationTests {
    @Test func imageTypeSpellings() {
        let cases: [(String, FrameType, Bool)] = [
            ("Light Frame", .light, false), ("LIGHT", .light, false), ("light", .light, false), ("Science", .light, false),
            ("Master Light", .light, false), ("Dark Frame", .dark, false), ("DARK", .dark, false), ("Master Dark", .dark, true),
            ("MasterDark", .dark, true), ("Bias Frame", .bias, false), ("BIAS", .bias, false), ("Offset", .bias, false),
            ("Zero", .bias, false), ("Master Bias", .bias, true), ("Flat Field", .flat, false), ("FLAT", .flat, false),
            ("Flat Frame", .flat, false), ("Master Flat", .flat, true), ("Dark Flat", .darkFlat, false), ("DARKFLAT", .darkFlat, false),
            ("FLATDARK", .darkFlat, false), ("Flat Dark", .darkFlat, false), ("dark_flat", .darkFlat, false), ("Master Dark Flat", .darkFlat, true),
        ]
        for (text, type, master) in cases {
            let found = FrameType.classify(imageType: text)
            #expect(found?.0 == type && found?.isMaster == master, "\(text) → \(String(describing: found))")
        }
        for unknown in ["Focus", "", "Snapshot", "Test"] { #expect(FrameType.classify(imageType: unknown) == nil, "\(unknown)") }
    }

    @Test func folderAndFileNames() {
        #expect(FrameType.classify(path: "/data/M31/darks/img_0001.fits")?.0 == .dark)
        #expect(FrameType.classify(path: "/data/M31/Flats/Ha/img.fits")?.0 == .flat)
        #expect(FrameType.classify(path: "/data/M31/DarkFlats/img.fits")?.0 == .darkFlat)
        #expect(FrameType.classify(path: "/data/night/LIGHT_M31_300s_0001.fits")?.0 == .light)
        #expect(FrameType.classify(path: "/data/Bias/x.fits")?.0 == .bias)
        #expect(FrameType.classify(path: "/data/masters/masterDark_BIN-1_EXPTIME-300s.xisf").map { ($0.0, $0.isMaster) } ?? (.light, false) == (.dark, true))
        // The last word wins: a flat inside a lights folder tree.
        #expect(FrameType.classify(path: "/lights/session2/flats/f.fits")?.0 == .flat)
        #expect(FrameType.classify(path: "/data/M31/img_0001.fits") == nil)
    }
}
