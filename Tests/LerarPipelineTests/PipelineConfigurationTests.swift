import Foundation
import LerarCalibration
import LerarIntegration
import LerarNormalization
import LerarPipeline
import LerarRegistration
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
            let before = entry.help.components(separatedBy: "{default}")[0], after = entry.help.components(separatedBy: "{default}").last!
            #expect(document.contains("  # \(before)") && document.contains("\(after)\n  \(entry.key):"), "\(entry.section).\(entry.key) is not documented")
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

/// Each default is declared once: the printed comments take it from the value, the run configuration from the
/// stage parameters, and docs/defaults.md's table must agree with both.
@Suite struct DefaultsDeclaredOnceTests {
    @Test func printedCommentsQuoteTheValues() throws {
        let document = try PipelineConfigurationFile.defaultsDocument()
        #expect(!document.contains("{default}"))
        // A help text with a default in parentheses must take it from the value, not spell it.
        for entry in PipelineConfigurationFile.entries {
            let spelled = entry.help.range(of: #"^[^(]*\((-?[0-9.]+|true|false)[,;:)]"#, options: .regularExpression)
            #expect(spelled == nil, "\(entry.section).\(entry.key) spells its default: \(entry.help)")
        }
        #expect(document.contains("  # LN scale, px (1024, PixInsight"))
        #expect(document.contains("  scale: 1024\n"))
    }

    @Test func runConfigurationTakesStageDefaults() {
        let run = PipelineConfiguration()
        #expect(run.normalization.scale == LocalNormalizationParameters().scale)
        #expect(run.registration.clampingThreshold == Registrar.Parameters().clampingThreshold)
        #expect(run.integration.sigmaLow == IntegrationParameters().sigmaLow && run.integration.sigmaHigh == IntegrationParameters().sigmaHigh)
        #expect(run.link.temperatureTolerance == LinkRules().temperatureTolerance)
        #expect(run.calibration.hotSigma == CalibrationParameters().hotSigma)
    }

    /// docs/defaults.md lists `| key | default |` rows; each must be the configuration's value.
    @Test func documentedDefaultsMatchTheValues() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/defaults.md"), encoding: .utf8)
        let document = try PipelineConfigurationFile.defaultsDocument()
        var values: [String: String] = [:], section = ""
        for line in document.split(separator: "\n") where !line.hasPrefix("  #") && !line.hasPrefix("#") {
            if !line.hasPrefix(" "), line.hasSuffix(":") { section = String(line.dropLast()); continue }
            let parts = line.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            if parts.count == 2 { values["\(section).\(parts[0])"] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        var checked = 0
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2 else { continue }
            // Rows of the defaults table: a `section.key` cell, then the value.
            guard cells[0].range(of: #"^`[a-z]+\.[A-Za-z]+`$"#, options: .regularExpression) != nil else { continue }
            let key = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            guard let value = values[key] else { Issue.record("docs/defaults.md lists \(key), which is not a key"); continue }
            #expect(cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`")) == value, "docs/defaults.md: \(key) is \(cells[1]), the value is \(value)")
            checked += 1
        }
        #expect(checked >= 10)
    }
}
