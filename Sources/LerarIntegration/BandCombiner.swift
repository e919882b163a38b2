import Foundation
import LerarCore

/// Combines one band of rows: `band` holds `count` consecutive frame slices of `rows.count × width` samples.
struct BandContext: Sendable {
    let width: Int
    let rows: Range<Int>
    let channel: Int, channels: Int, count: Int
    let scale: [Float], offset: [Float]
    /// Normalised weight of each frame for this channel.
    let weights: [Double]
    let parameters: IntegrationParameters
    let rejection: StackRejection
    let tallies: RejectionTallies

    func combine(band: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
                 low: UnsafeMutableBufferPointer<Float>?, high: UnsafeMutableBufferPointer<Float>?) {
        let bandSize = rows.count * width
        let shared = UnsafeSendable((band, output, low, high))
        Parallel.forEachChunk(count: bandSize, minimumChunkSize: 4096) { pixels in
            let (band, output, low, high) = shared.value
            let values = UnsafeMutablePointer<Float>.allocate(capacity: count)
            let frames = UnsafeMutablePointer<Int32>.allocate(capacity: count)
            let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2 * count + 2)
            defer { values.deallocate(); frames.deallocate(); scratch.deallocate() }
            var lowCounts = [Int](repeating: 0, count: count), highCounts = lowCounts, rangeCounts = lowCounts
            let p = parameters, combination = p.combination
            for pixel in pixels {
                var n = 0
                for i in 0..<count {
                    let raw = band[i * bandSize + pixel]
                    if !raw.isFinite || (p.rangeClipLow && raw <= p.rangeLow) || (p.rangeClipHigh && raw >= p.rangeHigh) {
                        rangeCounts[i] += 1
                        continue
                    }
                    let value = raw * scale[i * channels + channel] + offset[i * channels + channel]
                    // Insertion into the sorted run (stacks are small: tens to hundreds of samples).
                    var j = n
                    while j > 0 && values[j - 1] > value { values[j] = values[j - 1]; frames[j] = frames[j - 1]; j -= 1 }
                    values[j] = value
                    frames[j] = Int32(i)
                    n += 1
                }
                guard n > 0 else {
                    output[pixel] = .nan // no frame has data here
                    low?[pixel] = 0
                    high?[pixel] = 0
                    continue
                }
                let kept = rejection.reject(values, n, scratch: scratch)
                for j in 0..<kept.lowerBound { lowCounts[Int(frames[j])] += 1 }
                for j in kept.upperBound..<n { highCounts[Int(frames[j])] += 1 }
                low?[pixel] = Float(kept.lowerBound) / Float(count)
                high?[pixel] = Float(n - kept.upperBound) / Float(count)
                switch combination {
                case .average:
                    var sum = 0.0, weightSum = 0.0
                    for j in kept { let w = weights[Int(frames[j])]; sum += w * Double(values[j]); weightSum += w }
                    if weightSum > 0 {
                        output[pixel] = Float(sum / weightSum)
                    } else {
                        var plain = 0.0
                        for j in kept { plain += Double(values[j]) }
                        output[pixel] = Float(plain / Double(kept.count))
                    }
                case .median: output[pixel] = Float(StackRejection.median(values, kept))
                case .minimum: output[pixel] = values[kept.lowerBound]
                case .maximum: output[pixel] = values[kept.upperBound - 1]
                }
            }
            tallies.add(low: lowCounts, high: highCounts, range: rangeCounts)
        }
    }
}
