import Foundation
import LerarCore
import LerarIO
import LerarSimulator

/// Writes `count` UInt16 FITS frames of `size`² px: one star field with fresh noise and cosmic rays per frame,
/// so rejection has real work. Frames are named frame_0001.fit… for Lerar and Siril alike.
func writeStackFrames(folder: String, count: Int, size: Int) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var pattern = TestPattern(width: size, height: size, seed: 5)
    pattern.noiseADU = 0
    pattern.starCount = size * size / 4000
    let base = pattern.render()
    let errors = NSLock()
    nonisolated(unsafe) var failure: Error?
    Parallel.forEach(iterations: count) { index in
        var random = SeededRandom(seed: 1000 + UInt64(index))
        var frame = base
        frame.withMutableSamples { samples in
            for i in 0..<samples.count {
                let adu = Double(samples[i]) * 65535
                samples[i] = Float(min(65535, max(0, (adu + (adu.squareRoot() + 10) * random.gaussian()).rounded())) / 65535)
            }
            for _ in 0..<(size * size / 20_000) { samples[Int(random.uniform() * Double(samples.count))] = Float(random.uniform(in: 0.2...1)) }
        }
        frame.metadata.setKeyword(.number("EXPTIME", 300))
        do {
            try ImageFile.write(frame, to: String(format: "%@/frame_%04d.fit", folder, index + 1), options: ImageWriteOptions(sampleFormat: .uint16, overwrite: true))
        } catch { errors.withLock { failure = failure ?? error } }
    }
    if let failure { throw failure }
}
