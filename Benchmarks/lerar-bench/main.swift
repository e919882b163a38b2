import Foundation
import LerarCore
import LerarIO
import LerarSimulator

// `make bench`: read/write throughput of a 4096×4096 UInt16 light as FITS and XISF (uncompressed, lz4+sh, zstd+sh),
// next to `cp` of the same file as the practical limit. Warm page cache for every case; best and median of N runs.

let arguments = CommandLine.arguments
if arguments.count > 1 && arguments[1] == "stack-frames" {
    // lerar-bench stack-frames DIR COUNT SIZE: frames for the integration benchmark (shared with Siril's run).
    try writeStackFrames(folder: arguments[2], count: Int(arguments[3]) ?? 24, size: Int(arguments[4]) ?? 4096)
    exit(0)
}
if arguments.count > 2 && arguments[1] == "finish-masters" {
    // lerar-bench finish-masters DIR SIZE: L, R, G, B masters for the finish benchmark (shared with Siril's run).
    try writeFinishMasters(folder: arguments[2], size: arguments.count > 3 ? Int(arguments[3]) ?? 4096 : 4096)
    exit(0)
}
if arguments.count > 2 && arguments[1] == "stage" {
    try runStageBenchmark(arguments[2], path: arguments[3], repeats: arguments.count > 4 ? Int(arguments[4]) ?? 5 : 5)
    exit(0)
}
let folder = arguments.count > 1 ? arguments[1] : "bench-output"
let size = arguments.count > 2 ? Int(arguments[2]) ?? 4096 : 4096
let repeats = arguments.count > 3 ? Int(arguments[3]) ?? 7 : 7
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func summary(_ times: [Double]) -> (best: Double, median: Double) {
    let sorted = times.sorted()
    return (sorted[0], sorted[sorted.count / 2])
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? 0
}

print("Rendering a \(size)×\(size) UInt16 test light…")
let image = TestPattern(width: size, height: size, seed: 42).render()
let imageMB = Double(size * size * 2) / 1e6
print("Image: \(String(format: "%.1f", imageMB)) MB of UInt16 samples; \(repeats) runs each; cores: \(Parallel.coreCount)\n")

struct Row: Codable {
    var name: String
    var fileMB: Double
    var writeBestMBps: Double, writeMedianMBps: Double
    var readBestMBps: Double, readMedianMBps: Double
}

var rows: [Row] = []
let cases: [(String, String, String?)] = [
    ("FITS", "bench.fits", nil), ("XISF", "bench.xisf", nil),
    ("XISF lz4+sh", "bench_lz4sh.xisf", "lz4+sh"), ("XISF zstd+sh", "bench_zstdsh.xisf", "zstd+sh"),
]
for (name, file, codec) in cases {
    let path = folder + "/" + file
    let options = ImageWriteOptions(sampleFormat: .uint16, compression: codec, overwrite: true)
    var writes: [Double] = [], reads: [Double] = []
    for _ in 0..<repeats { writes.append(try seconds { try ImageFile.write(image, to: path, options: options) }) }
    var checksum: Float = 0
    for _ in 0..<repeats { reads.append(try seconds { checksum += try ImageFile.read(path)[7, 7] }) }
    precondition(checksum.isFinite)
    let w = summary(writes), r = summary(reads)
    rows.append(Row(name: name, fileMB: Double(fileSize(path)) / 1e6, writeBestMBps: imageMB / w.best, writeMedianMBps: imageMB / w.median,
                    readBestMBps: imageMB / r.best, readMedianMBps: imageMB / r.median))
}

// cp of the uncompressed FITS file: the same bytes through the kernel with no conversion.
var copies: [Double] = []
let source = folder + "/bench.fits", target = folder + "/bench_cp.fits"
for _ in 0..<repeats {
    copies.append(try seconds {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/cp")
        process.arguments = [source, target]
        try process.run()
        process.waitUntilExit()
    })
}
let cp = summary(copies), cpMB = Double(fileSize(source)) / 1e6
rows.append(Row(name: "cp (FITS file)", fileMB: cpMB, writeBestMBps: cpMB / cp.best, writeMedianMBps: cpMB / cp.median,
                readBestMBps: cpMB / cp.best, readMedianMBps: cpMB / cp.median))

func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
print(pad("case", 16) + pad("file MB", 9) + pad("write MB/s best/median", 24) + pad("read MB/s best/median", 24) + "vs cp (best)")
for row in rows {
    let ratio = String(format: "write %.2f×, read %.2f×", (cpMB / cp.best) / row.writeBestMBps, (cpMB / cp.best) / row.readBestMBps)
    print(pad(row.name, 16) + pad(String(format: "%.1f", row.fileMB), 9)
          + pad(String(format: "%.0f / %.0f", row.writeBestMBps, row.writeMedianMBps), 24)
          + pad(String(format: "%.0f / %.0f", row.readBestMBps, row.readMedianMBps), 24) + (row.name.hasPrefix("cp") ? "limit" : ratio))
}
print("\nMB/s counts the \(String(format: "%.1f", imageMB)) MB of image samples (cp: the file's bytes); ratios are cp's best time over ours (≤ 2× is the target for uncompressed).")
let encoder = JSONEncoder()
encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
try encoder.encode(rows).write(to: URL(fileURLWithPath: folder + "/io-bench.json"))
for file in cases.map(\.1) + ["bench_cp.fits"] { try? FileManager.default.removeItem(atPath: folder + "/" + file) }

// Robust statistics of the same image as Float32 (16.8 M samples): selection-based median/MAD vs a full sort.
var floatImage = image
floatImage.withMutableSamples { samples in for i in stride(from: 0, to: samples.count, by: 977) { samples[i] += 1e-7 } } // break ties a little
var statisticsTimes: [Double] = []
var result = ChannelStatistics.empty(count: 0, skipped: 0)
for _ in 0..<max(3, repeats / 2) { statisticsTimes.append(seconds { result = floatImage.statistics()[0] }) }
let sortTime = seconds { var copy = floatImage.samples; copy.sort(); precondition(Double(copy[copy.count / 2]) <= result.maximum) }
let s = summary(statisticsTimes)
print(String(format: "\nstatistics (count, mean, sd, median, MAD, min, max) of %d samples: best %.0f ms, median %.0f ms; a full sort alone takes %.0f ms",
             floatImage.samples.count, s.best * 1000, s.median * 1000, sortTime * 1000))
try runSimulatorBenchmark(folder: folder)
try runCatalogueBenchmark(folder: folder)
