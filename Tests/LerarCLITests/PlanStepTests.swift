import Foundation
import Testing

/// `lerar plan` and `lerar step` without a cluster: the plan's levels and keys, its steps run by hand level by level,
/// and what a step does when run out of order or twice.
@Suite struct PlanStepTests {
    /// Every level's tasks run in order by `lerar step` give the masters `lerar run` gives, byte for byte.
    @Test func stepsRunByHandMatchLocalRun_outOfOrderStepSaysWhatIsMissing() throws {
        let scratch = Scratch()
        #expect(try CLIRun.run(["simulate", "--out", "session", "--size", "128", "128", "--lights", "3", "--filters", "L,R,G,B"], in: scratch.path).status == 0)
        let inputs = ["session/lights", "session/darks", "session/flats", "session/bias", "session/darkflats"]
        let text = try CLIRun.run(["plan"] + inputs + ["-o", "steps"], in: scratch.path)
        #expect(text.status == 0, "\(text.error)")
        #expect(text.output.contains("level 2 calibrate: 12 steps in 12 tasks (12 pending)"), "\(text.output)")
        #expect(text.output.contains("register: 12 steps in 12 tasks (12 waiting)"))
        let planned = try CLIRun.run(["plan"] + inputs + ["-o", "steps", "--json", "--frames-per-task", "5"], in: scratch.path)
        #expect(planned.status == 0)
        try planned.output.write(toFile: scratch.file("plan.json"), atomically: true, encoding: .utf8)
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(planned.output.utf8)) as? [String: Any])
        #expect(plan["schema"] as? String == "lerar.plan" && plan["version"] as? Int == 1)
        let levels = try #require(plan["levels"] as? [[String: Any]])
        #expect(levels.map { $0["kind"] as? String ?? "" } == ["master", "master", "calibrate", "register", "lnref", "normalize", "integrate", "final"])
        // 12 lights, at least 5 per task: 2 tasks of 6.
        #expect((levels[2]["tasks"] as? [[String]])?.map(\.count) == [6, 6])
        let steps = try #require(plan["steps"] as? [[String: Any]])
        let calibrate = steps.filter { $0["kind"] as? String == "calibrate" }
        #expect(calibrate.count == 12 && calibrate.allSatisfy { ($0["cacheKey"] as? String) == ($0["id"] as? String) })
        #expect(steps.filter { $0["kind"] as? String == "register" }.allSatisfy { $0["cacheKey"] == nil && $0["status"] as? String == "waiting" })

        // A later level first: it says what is missing, and computes nothing.
        let early = try CLIRun.run(["step", "--plan", "plan.json", "--level", "3", "--task", "0"], in: scratch.path)
        #expect(early.status == 1 && early.error.contains("not built"), "\(early.error)")

        for (index, level) in levels.enumerated() {
            for task in 0..<((level["tasks"] as? [[String]])?.count ?? 0) {
                let step = try CLIRun.run(["step", "--plan", "plan.json", "--level", "\(index)", "--task", "\(task)"], in: scratch.path, prefix: "SOURCE_DATE_EPOCH=1700000000")
                #expect(step.status == 0, "level \(index) task \(task): \(step.error)")
            }
        }
        // One step by the shortened id `lerar plan -v` shows: done already, so nothing to do.
        let shown = try #require(calibrate.first?["id"] as? String).prefix(16)
        let byPrefix = try CLIRun.run(["step", String(shown), "--plan", "plan.json"], in: scratch.path)
        #expect(byPrefix.status == 0 && byPrefix.output.contains("1 step done") && byPrefix.output.contains("0 items computed"), "\(byPrefix.output)\(byPrefix.error)")
        // Run again, a step does nothing.
        let again = try CLIRun.run(["step", "--plan", "plan.json", "--level", "2", "--task", "1"], in: scratch.path)
        #expect(again.status == 0 && again.output.contains("0 items computed"), "\(again.output)")
        let after = try CLIRun.run(["plan"] + inputs + ["-o", "steps"], in: scratch.path)
        for level in ["register: 12 steps in 12 tasks (12 done)", "LN references: 4 steps in 4 tasks (4 done)", "normalize: 12 steps in 12 tasks (12 done)",
                      "integrate: 4 steps in 4 tasks (4 done)"] {
            #expect(after.output.contains(level), "\(after.output)")
        }

        let local = try CLIRun.run(["run"] + inputs + ["-o", "local"], in: scratch.path, prefix: "SOURCE_DATE_EPOCH=1700000000")
        #expect(local.status == 0, "\(local.error)")
        try expectSameMasters(scratch.file("local/master"), scratch.file("steps/master"))
    }
}

/// Every file of `expected` exists in `actual` with the same bytes (masters, LN references, master lights).
func expectSameMasters(_ expected: String, _ actual: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let names = try FileManager.default.contentsOfDirectory(atPath: expected).filter { $0.hasSuffix(".xisf") }.sorted()
    // Four flats; a master light per stack that kept enough frames (a stack of 3 subs with one rejected is not integrated).
    #expect(names.filter { $0.hasPrefix("masterFlat") }.count == 4 && names.filter { $0.hasPrefix("masterLight") && !$0.contains("_rejection") }.count >= 6,
            "\(names)", sourceLocation: sourceLocation)
    let others = try FileManager.default.contentsOfDirectory(atPath: actual).filter { $0.hasSuffix(".xisf") }.sorted()
    #expect(others == names, sourceLocation: sourceLocation)
    for name in names {
        let a = FileManager.default.contents(atPath: expected + "/" + name), b = FileManager.default.contents(atPath: actual + "/" + name)
        #expect(a != nil && a == b, "\(name) differs", sourceLocation: sourceLocation)
    }
}
