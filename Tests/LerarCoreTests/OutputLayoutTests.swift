import Testing
@testable import LerarCore

/// The output's folders and WBPP-like names, as users and scripts find them.
@Suite struct OutputLayoutTests {
    @Test func stagesNameFramesAsWBPPDoes() {
        let light = "/data/M31/Light_M31_120s_L_0007.fits"
        #expect(OutputLayout.calibratedName(of: light, cosmetic: false, extension: "xisf") == "Light_M31_120s_L_0007_c.xisf")
        #expect(OutputLayout.calibratedName(of: light, cosmetic: true, extension: "xisf") == "Light_M31_120s_L_0007_c_cc.xisf")
        let calibrated = "/out/calibrated/S/Light_M31_120s_L_0007_c_cc.xisf"
        #expect(OutputLayout.path(of: calibrated, adding: .registered, extension: "xisf", in: "/out/registered/S")
                == "/out/registered/S/Light_M31_120s_L_0007_c_cc_r.xisf")
        #expect(OutputLayout.name(of: "/x/a_c_cc_r.xisf", adding: .normalized, extension: "fits") == "a_c_cc_r_n.fits")
        #expect(OutputLayout.name(of: "/x/a_c.fit", adding: .debayered, extension: "xisf") == "a_c_d.xisf")
        #expect(OutputLayout.name(of: "/m/masterLight_L.xisf", adding: .autocropped, extension: "xisf") == "masterLight_L_autocrop.xisf")
    }

    @Test func foldersSitUnderTheOutput() {
        let layout = OutputLayout(root: "/out")
        #expect(layout.path(.master) == "/out/master")
        #expect(layout.path(.registered, stack: "BIN-1_FILTER-L") == "/out/registered/BIN-1_FILTER-L")
        #expect(Set(OutputLayout.Folder.allCases.map(\.rawValue)) == ["master", "calibrated", "registered", "normalized", "logs", "report", "cache", "final"])
    }
}
