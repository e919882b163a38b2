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
    let network: SortingNetwork
    /// When set, `marks[frame · bandSize + pixel]` is set to 1 for every rejected sample (zeroed by the caller).
    var marks: UnsafeSendable<UnsafeMutableBufferPointer<UInt8>>? = nil

    func combine(band: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
                 low: UnsafeMutableBufferPointer<Float>?, high: UnsafeMutableBufferPointer<Float>?) {
        let bandSize = rows.count * width
        let shared = UnsafeSendable((band, output, low, high))
        Parallel.forEachChunk(count: bandSize, minimumChunkSize: 4096) { pixels in
            let (band, output, low, high) = shared.value
            let lanes = BlockRejection.lanes
            assert(lanes == 8, "the whole-block path below reads SIMD8 vectors")
            let blockRejection = BlockRejection(rejection: rejection, network: network)
            let block = blockRejection.block, sampleCounts = blockRejection.counts
            let normalized = UnsafeMutablePointer<Float>.allocate(capacity: lanes * count)
            let values = UnsafeMutablePointer<Float>.allocate(capacity: count)
            let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2 * count + 2)
            let counters = UnsafeMutablePointer<Int>.allocate(capacity: 3 * count)
            counters.initialize(repeating: 0, count: 3 * count)
            let lowCounts = counters, highCounts = counters + count, rangeCounts = counters + 2 * count
            defer { normalized.deallocate(); values.deallocate(); scratch.deallocate(); counters.deallocate() }
            let p = parameters, combination = p.combination
            let uniformWeights = weights.allSatisfy { $0 == weights[0] }
            let weight = UnsafeMutablePointer<Double>.allocate(capacity: count)
            weight.initialize(from: weights, count: count)
            defer { weight.deallocate() }
            // In range ⇔ lowBound < sample < highBound: also false for NaN and ±∞, as the per-sample test below.
            let lowBound = SIMD8<Float>(repeating: p.rangeClipLow ? p.rangeLow : -.infinity)
            let highBound = SIMD8<Float>(repeating: p.rangeClipHigh ? p.rangeHigh : .infinity)
            var first = pixels.lowerBound
            while first < pixels.upperBound {
                let used = min(lanes, pixels.upperBound - first)
                for lane in 0..<lanes { sampleCounts[lane] = 0 }
                for i in 0..<count {
                    let row = block + i * lanes
                    // A whole block whose eight samples of this frame are all in range (nearly all): loaded, tested
                    // and normalized as one 8-lane vector (the same products and sums as per sample).
                    if used == lanes {
                        let raw = UnsafeRawPointer(band.baseAddress! + i * bandSize + first).loadUnaligned(as: SIMD8<Float>.self)
                        if all((raw .> lowBound) .& (raw .< highBound)) {
                            let value = raw * SIMD8(repeating: scale[i * channels + channel]) + SIMD8(repeating: offset[i * channels + channel])
                            UnsafeMutableRawPointer(row).storeBytes(of: value, as: SIMD8<Float>.self)
                            for lane in 0..<lanes {
                                normalized[lane * count + i] = value[lane]
                                sampleCounts[lane] += 1
                            }
                            continue
                        }
                    }
                    for lane in 0..<lanes {
                        guard lane < used else { row[lane] = row[0]; continue } // lanes past the pixels repeat the first
                        let pixel = first + lane
                        let raw = band[i * bandSize + pixel]
                        if !raw.isFinite || (p.rangeClipLow && raw <= p.rangeLow) || (p.rangeClipHigh && raw >= p.rangeHigh) {
                            normalized[lane * count + i] = .nan
                            row[lane] = .infinity // missing samples end up past the first n
                            rangeCounts[i] += 1
                            if raw.isFinite { marks?.value[i * bandSize + pixel] = 1 }
                            continue
                        }
                        let value = raw * scale[i * channels + channel] + offset[i * channels + channel]
                        normalized[lane * count + i] = value
                        row[lane] = value
                        sampleCounts[lane] += 1
                    }
                }
                for lane in used..<lanes { sampleCounts[lane] = sampleCounts[0] }
                blockRejection.sortAndPrepare()
                for lane in 0..<used {
                    let pixel = first + lane, n = Int(sampleCounts[lane])
                    guard n > 0 else {
                        output[pixel] = .nan // no frame has data here
                        low?[pixel] = 0
                        high?[pixel] = 0
                        continue
                    }
                    blockRejection.copySorted(lane: lane, to: values)
                    let kept = blockRejection.kept(lane: lane, values: values, scratch: scratch)
                    let lowRejected = kept.lowerBound, highRejected = n - kept.upperBound
                    low?[pixel] = Float(lowRejected) / Float(count)
                    high?[pixel] = Float(highRejected) / Float(count)
                    // Attribute rejections to frames by value; among equal values at a boundary, the first frames are
                    // the ones rejected (the sorted order of ties is arbitrary anyway).
                    let lowest = values[kept.lowerBound], highest = values[kept.upperBound - 1]
                    var lowTies = 0, highTies = 0
                    for j in 0..<kept.lowerBound where values[j] == lowest { lowTies += 1 }
                    for j in kept.upperBound..<n where values[j] == highest { highTies += 1 }
                    var sum = 0.0, weightSum = 0.0
                    if lowRejected > 0 || highRejected > 0 || (combination == .average && !uniformWeights) {
                        for i in 0..<count {
                            let v = normalized[lane * count + i]
                            guard v == v else { continue }
                            if v < lowest || (v == lowest && lowTies > 0) {
                                if v == lowest { lowTies -= 1 }
                                lowCounts[i] += 1
                                marks?.value[i * bandSize + pixel] = 1
                                continue
                            }
                            if v > highest || (v == highest && highTies > 0) {
                                if v == highest { highTies -= 1 }
                                highCounts[i] += 1
                                marks?.value[i * bandSize + pixel] = 1
                                continue
                            }
                            let w = weight[i]
                            sum += w * Double(v); weightSum += w
                        }
                    } else {
                        for j in kept { sum += Double(values[j]) }
                        weightSum = Double(kept.count)
                    }
                    switch combination {
                    case .average:
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
                first += used
            }
            tallies.add(channel: channel, low: Array(UnsafeBufferPointer(start: lowCounts, count: count)), high: Array(UnsafeBufferPointer(start: highCounts, count: count)),
                        range: Array(UnsafeBufferPointer(start: rangeCounts, count: count)))
        }
    }
}
