import Foundation
@testable import LerarPipeline
import Testing

/// How the Slurm executor reads Slurm's answers: array lists, `scontrol -o` lines, `sacct` lines, job states; and how
/// a plan's levels are cut into array tasks.
@Suite struct SlurmClientTests {
    @Test func arrayListsReadAndWritten() {
        #expect(SlurmClient.indices("0-3,7,9-10%2") == [0, 1, 2, 3, 7, 9, 10])
        #expect(SlurmClient.indices("5") == [5])
        #expect(SlurmClient.indices("4294967294").count == 1)
        #expect(SlurmClient.arrayList([9, 0, 1, 2, 5, 10]) == "0-2,5,9-10")
        #expect(SlurmClient.arrayList([3]) == "3")
    }

    @Test func scontrolLinesAndStates() {
        let line: Substring = "JobId=2 ArrayJobId=1 ArrayTaskId=0 JobName=lerar-2-calibrate JobState=OUT_OF_MEMORY Reason=OutOfMemory ExitCode=0:125"
        let fields = SlurmClient.fields(line)
        #expect(fields["ArrayJobId"] == "1" && fields["ArrayTaskId"] == "0" && fields["JobState"] == "OUT_OF_MEMORY")
        #expect(SlurmClient.TaskState(slurm: "COMPLETED") == .completed)
        #expect(SlurmClient.TaskState(slurm: "PENDING") == .waiting)
        #expect(SlurmClient.TaskState(slurm: "REQUEUED") == .waiting)
        #expect(SlurmClient.TaskState(slurm: "COMPLETING") == .running)
        #expect(SlurmClient.TaskState(slurm: "CANCELLED by 0") == .failed("CANCELLED"))
        #expect(SlurmClient.TaskState(slurm: "TIMEOUT") == .failed("TIMEOUT"))
        #expect(SlurmClient.TaskState(slurm: "NODE_FAIL") == .failed("NODE_FAIL"))
    }

    @Test func levelsAreCutIntoEvenTasks() {
        let ids = (0..<10).map(String.init)
        #expect(ExecutionPlan.chunk(ids, maxTasks: 1000).count == 10)
        #expect(ExecutionPlan.chunk(ids, maxTasks: 3).map(\.count) == [4, 3, 3])
        #expect(ExecutionPlan.chunk(ids, maxTasks: 1000, minimumPerTask: 4).map(\.count) == [5, 5])
        #expect(ExecutionPlan.chunk(ids, maxTasks: 1000, minimumPerTask: 40).map(\.count) == [10])
        #expect(ExecutionPlan.chunk([], maxTasks: 5).isEmpty)
        #expect(ExecutionPlan.chunk(ids, maxTasks: 3).flatMap { $0 } == ids)
    }

    @Test func shellWordsAreQuoted() {
        #expect(SlurmExecutor.quote("/data/it's here") == "'/data/it'\\''s here'")
    }
}
