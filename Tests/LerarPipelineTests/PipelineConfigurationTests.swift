import Foundation
import LerarPipeline
import Testing

@Suite struct PipelineConfigurationTests {
    @Test func theDocumentedDefaultsReadBackAsTheDefaults() throws {
        let document = try PipelineConfigurationFile.defaultsDocument()
        #expect(try PipelineConfigurationFile.parse(document) == PipelineConfiguration())
        // Numbers as people write them (2, 0.05), never the encoder's 2e+0 / 5e-2.
        for line in document.split(separator: "\n") where !line.hasPrefix("  #") {
            #expect(!line.contains("e+") && !line.contains("e-0") && !line.contains("e-1"), "\(line)")
        }
        #expect(document.contains("  temperatureTolerance: 2\n") && document.contains("  minimumWeight: 0.05\n"))
        let recorded = try PipelineConfigurationFile.yaml(PipelineConfiguration())
        let reread = try PipelineConfigurationFile.parse(recorded)
        #expect(!recorded.contains("e+0") && reread == PipelineConfiguration())
        // Every key is documented with a comment line above it.
        for entry in PipelineConfigurationFile.entries {
            #expect(document.contains("  # \(entry.help)\n  \(entry.key):"), "\(entry.section).\(entry.key) is not documented")
        }
    }

    @Test func aFileHoldsOnlyWhatChangesInYAMLOrJSON() throws {
        let yaml = try PipelineConfigurationFile.parse("""
        calibration:
          pedestal: 100
        integration:
          rejection: linear-fit
          weights: noise
        registration:
          reference: null
        """)
        var expected = PipelineConfiguration()
        expected.calibration.pedestal = 100
        expected.integration.rejection = .linearFit
        expected.integration.weights = .noise
        #expect(yaml == expected)
        let json = try PipelineConfigurationFile.parse(#"{"normalization": {"scale": 512, "flattenReference": true}}"#)
        #expect(json.normalization.scale == 512 && json.normalization.flattenReference)
        #expect(json.calibration == PipelineConfiguration().calibration)
    }

    @Test func typosAndBadValuesNameTheKey() {
        func message(_ text: String) -> String {
            do { _ = try PipelineConfigurationFile.parse(text, path: "run.yaml"); return "" } catch { return error.localizedDescription }
        }
        #expect(message("integration:\n  rejecton: sigma\n").contains("unknown key 'integration.rejecton'"))
        #expect(message("integrate:\n  rejection: sigma\n").contains("unknown section 'integrate'"))
        #expect(message("integration:\n  rejection: often\n").contains("integration.rejection"))
        #expect(message("calibration:\n  pedestal: -5\n").contains("calibration.pedestal"))
        #expect(message("normalization:\n  referenceFrames: 40\n").contains("10…20"))
        #expect(message("- a\n- b\n").contains("mapping"))
        #expect(message("calibration:\n  pedestal: 100\n").isEmpty)
    }

    @Test func relativePathsAreResolvedAgainstTheFile() throws {
        let folder = NSTemporaryDirectory() + "lerar-config-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "link:\n  overrides: links.yaml\n".write(toFile: folder + "/run.yaml", atomically: true, encoding: .utf8)
        #expect(try PipelineConfigurationFile.read(folder + "/run.yaml").link.overrides == folder + "/links.yaml")
    }
}
