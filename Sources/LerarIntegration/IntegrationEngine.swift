import Foundation
import LerarCore
import LerarIO

/// Stacks frames pixel by pixel: range rejection → normalization → statistical rejection → weighted combination.
/// Rows are processed in bands sized to `maxMemory`, so memory does not grow with the number of frames beyond one
/// band per frame; bands are filled from the files in parallel and combined on all cores.
public struct IntegrationEngine: Sendable {
    public let parameters: IntegrationParameters

    public init(parameters: IntegrationParameters) { self.parameters = parameters }

    /// Largest band (bytes) when every frame is in memory: enough rows for every core to combine, no more. The
    /// band is a copy beside the held frames at the run's peak: 8 MiB (38 rows of 24 × 2048 px, 19 chunks of
    /// combining for the cores) instead of 32 MiB: the band at the integration's heap peak 7.3 MB, was 29.7 (heaptrack).
    static let inMemoryBandBytes = 8 << 20

    /// Share of the budget (what held frames leave of it) that a band read from files may take: each file is read
    /// once whatever the band's size (a smaller band only means more, shorter reads), and the rest of the budget is
    /// the run's (the stack and its rejection maps, LN's surfaces, the process). With the whole budget, 48 × 2048²
    /// through files peaked at 628 MiB in the integration against 387 MiB in every stage before it.
    static let fileBandShare = 4

    /// Integrates `paths` (registered frames); with `recordRejection`, which samples of each frame were rejected is
    /// kept too (`rejectedSamples`, one bit per sample) for drizzle.
    /// `source`: where the frames are read (files, or images a pipeline holds in memory under those paths).
    public func integrate(paths: [String], source: ImageSource = .files, local: (any LocalFrameNormalization)? = nil, recordRejection: Bool = false,
                          progress: (@Sendable (String, Int, Int) -> Void)? = nil) throws -> IntegrationResult {
        guard !paths.isEmpty else { throw IntegrationError.tooFewFrames(0) }
        if parameters.normalization == .local && local == nil { throw IntegrationError.missingLocalNormalization }
        let readers = try paths.map(source.rowReader)
        let first = readers[0].header
        for reader in readers.dropFirst() where reader.header.width != first.width || reader.header.height != first.height || reader.header.channelCount != first.channelCount {
            throw IntegrationError.geometryMismatch(path: reader.header.path,
                detail: "\(reader.header.width)×\(reader.header.height)×\(reader.header.channelCount), the first frame is \(first.width)×\(first.height)×\(first.channelCount)")
        }
        let width = first.width, height = first.height, channels = first.channelCount, count = paths.count
        let pedestals = readers.map { parameters.subtractPedestals ? Float(($0.header.metadata.acquisition.pedestal ?? 0) / 65535) : 0 }

        // Bytes the readers keep in memory (decoded compressed files, frames held by a master's preparation or by
        // `lerar run`): the estimates' workers and the bands get what they leave of the budget.
        let resident = readers.reduce(0) { $0 + $1.residentBytes }

        // Pass 1: per-frame estimates (whole frames in memory, one per core while two images each fit what the held
        // frames leave of the budget: the frame and the estimator's copy of a channel).
        let needNoise: Bool = { if case .noise = parameters.weighting { return true }; return false }()
        let needEstimates = (parameters.normalization != .none && parameters.normalization != .local) || needNoise
        let needScale = parameters.normalization == .additiveScaling || parameters.normalization == .multiplicativeScaling
        var estimates = [[ChannelEstimates]](repeating: [], count: count)
        if needEstimates {
            let box = UnsafeMutableBufferPointer<[ChannelEstimates]>.allocate(capacity: count)
            box.initialize(repeating: [])
            defer { box.deallocate() }
            let shared = UnsafeSendable(box), errors = FirstError(), done = Tally()
            let estimator = parameters.scaleEstimator
            let frameBytes = width * height * channels * MemoryLayout<Float>.stride
            let workers = Parallel.frameWorkers(frameBytes: frameBytes, imagesPerFrame: 2, budget: max(0, parameters.maxMemory - resident))
            Parallel.forEach(iterations: count, workers: workers) { index in
                do {
                    let image = try source.read(paths[index])
                    shared.value[index] = (0..<channels).map { channel in
                        image.withChannel(channel) { plane -> ChannelEstimates in
                            var e = ChannelEstimator.estimate(plane, width: width, height: height, estimator: estimator, withScale: needScale, withNoise: needNoise)
                            e.location -= Double(pedestals[index])
                            return e
                        }
                    }
                } catch { errors.record(error) }
                progress?("measuring frames", done.next(), count)
            }
            if let error = errors.first { throw error }
            estimates = Array(box)
        }
        var weights = try frameWeights(readers: readers, estimates: estimates, channels: channels)
        if let local, parameters.normalization == .local, needNoise {
            // Noise weights of frames that LN scales by s: the normalized noise is s·σ (PixInsight's PSFScaleSNR).
            let scaled = (0..<count).map { i in (0..<channels).map { c in weights[i][c] / pow(local.signalScale(frame: i, channel: c), 2) } }
            weights = (0..<count).map { i in (0..<channels).map { c in scaled[i][c] / (scaled.map { $0[c] }.max() ?? 1) } }
        }
        let rejection = StackRejection(parameters: parameters, frameCount: count)

        // Normalization coefficients per frame and channel: value' = value·scale + offset.
        var scale = [Float](repeating: 1, count: count * channels), offset = [Float](repeating: 0, count: count * channels)
        for i in 0..<count {
            for c in 0..<channels {
                let e = estimates.isEmpty || estimates[i].isEmpty ? nil : estimates[i][c], reference = estimates.isEmpty || estimates[0].isEmpty ? nil : estimates[0][c]
                var k = 1.0, d = 0.0
                if let e, let reference {
                    switch parameters.normalization {
                    case .none, .local: break
                    case .additive: d = reference.location - e.location
                    case .multiplicative: k = e.location != 0 ? reference.location / e.location : 1
                    case .additiveScaling:
                        k = reference.scale / e.scale
                        d = reference.location - e.location * k
                    case .multiplicativeScaling:
                        k = e.location != 0 ? reference.scale / e.scale * reference.location / e.location : 1
                    }
                }
                scale[i * channels + c] = Float(k)
                // LN functions were fitted to the frames as stored, pedestal included, and output on the reference's scale.
                offset[i * channels + c] = parameters.normalization == .local ? 0 : Float(d) - Float(k) * pedestals[i]
            }
        }

        // Bands sized to the budget, less what readers of compressed files or frames held in memory keep resident.
        // Frames all in memory need no large band (a band only saves file accesses): then one of at most
        // `inMemoryBandBytes`, so the stack costs little beyond the frames themselves.
        let perRow = count * width * 4 + width * 4 * 3
        let budgetRows = max(0, parameters.maxMemory - resident) / Self.fileBandShare / max(perRow, 1)
        let memoryRows = readers.allSatisfy(\.readsFromMemory) ? Self.inMemoryBandBytes / max(perRow, 1) : height
        let bandRows = max(1, min(height, budgetRows, memoryRows))
        var output = Image(width: width, height: height, colorSpace: first.colorSpace, metadata: first.metadata)
        var lowMap = parameters.rejectionMaps ? Image(width: width, height: height, colorSpace: first.colorSpace) : nil
        var highMap = lowMap
        // Uninitialised: every sample of a band is read from the files before use (a zero fill of a large band costs
        // as much as reading it).
        let band = UnsafeMutableBufferPointer<Float>.allocate(capacity: count * bandRows * width)
        defer { band.deallocate() }
        let tallies = RejectionTallies(frames: count, channels: channels)
        let masks = recordRejection ? RejectionMasks(frames: count, channels: channels, width: width, height: height) : nil
        let marks = recordRejection ? UnsafeMutableBufferPointer<UInt8>.allocate(capacity: count * bandRows * width) : nil
        defer { marks?.deallocate() }
        let network = SortingNetwork(size: count)
        let totalBands = channels * ((height + bandRows - 1) / bandRows)
        var bandsDone = 0
        for channel in 0..<channels {
            var y0 = 0
            while y0 < height {
                let rows = y0..<min(height, y0 + bandRows)
                let bandSize = rows.count * width
                let errors = FirstError()
                let shared = UnsafeSendable(band)
                Parallel.forEach(iterations: count) { index in
                    let slice = UnsafeMutableBufferPointer(rebasing: shared.value[(index * bandSize)..<((index + 1) * bandSize)])
                    do { try readers[index].read(rows: rows, channel: channel, into: slice) } catch { errors.record(error) }
                }
                if let error = errors.first { throw error }
                if let local, parameters.normalization == .local {
                    Parallel.forEach(iterations: count) { index in
                        local.apply(frame: index, channel: channel, rows: rows,
                                    values: UnsafeMutableBufferPointer(rebasing: shared.value[(index * bandSize)..<((index + 1) * bandSize)]))
                    }
                }
                let context = BandContext(width: width, rows: rows, channel: channel, channels: channels, count: count,
                                          scale: scale, offset: offset, weights: weights.map { $0[channel] }, parameters: parameters,
                                          rejection: rejection, tallies: tallies, network: network,
                                          marks: marks.map { UnsafeSendable(UnsafeMutableBufferPointer(rebasing: $0[0..<(count * bandSize)])) })
                if let marks { UnsafeMutableBufferPointer(rebasing: marks[0..<(count * bandSize)]).initialize(repeating: 0) }
                do {
                    let input = UnsafeBufferPointer(band)
                    output.withMutableChannel(channel) { out in
                        let low = lowMap.map { _ in UnsafeMutableBufferPointer<Float>.allocate(capacity: bandSize) }
                        let high = highMap.map { _ in UnsafeMutableBufferPointer<Float>.allocate(capacity: bandSize) }
                        context.combine(band: input, into: UnsafeMutableBufferPointer(rebasing: out[(rows.lowerBound * width)..<(rows.upperBound * width)]), low: low, high: high)
                        if let low { lowMap!.withMutableChannel(channel) { _ = UnsafeMutableBufferPointer(rebasing: $0[(rows.lowerBound * width)..<(rows.upperBound * width)]).update(fromContentsOf: low) }; low.deallocate() }
                        if let high { highMap!.withMutableChannel(channel) { _ = UnsafeMutableBufferPointer(rebasing: $0[(rows.lowerBound * width)..<(rows.upperBound * width)]).update(fromContentsOf: high) }; high.deallocate() }
                    }
                }
                if let masks, let marks { masks.record(channel: channel, firstRow: rows.lowerBound, bandSize: bandSize, marks: UnsafeBufferPointer(rebasing: marks[0..<(count * bandSize)])) }
                bandsDone += 1
                progress?("integrating rows", bandsDone, totalBands)
                y0 = rows.upperBound
            }
        }
        let resolved = rejection.algorithm
        output.metadata.removeKeyword("PEDESTAL")
        output.metadata.setKeyword(.integer("NCOMBINE", count, comment: "Number of frames integrated"))
        output.metadata.addHistory("\(LerarVersion.application) integrate: \(count) frames; \(parameters.summary.replacingOccurrences(of: "rejection=auto", with: "rejection=auto→\(resolved.rawValue)"))")
        let reports = (0..<count).map { i in
            IntegrationResult.FrameReport(path: paths[i], weights: weights[i], estimates: estimates.isEmpty ? [] : estimates[i],
                                          rejectedLow: tallies.low[i], rejectedHigh: tallies.high[i], rangeRejected: tallies.range[i],
                                          rejectedLowByChannel: tallies.lowByChannel.map { $0[i] }, rejectedHighByChannel: tallies.highByChannel.map { $0[i] },
                                          normalizationScale: (0..<channels).map { Double(scale[i * channels + $0]) },
                                          normalizationOffset: (0..<channels).map { Double(offset[i * channels + $0]) })
        }
        return IntegrationResult(image: output, rejectionLow: lowMap, rejectionHigh: highMap, frames: reports, rejection: resolved, bandRows: bandRows,
                                 rejectedSamples: masks)
    }

    /// Weights per frame and channel, divided by the largest.
    func frameWeights(readers: [ImageRowReader], estimates: [[ChannelEstimates]], channels: Int) throws -> [[Double]] {
        var raw: [[Double]] = []
        for (index, reader) in readers.enumerated() {
            let metadata = reader.header.metadata
            switch parameters.weighting {
            case .none: raw.append([Double](repeating: 1, count: channels))
            case .exposure:
                guard let exposure = metadata.acquisition.exposure, exposure > 0 else {
                    throw IntegrationError.badWeight(path: reader.header.path, detail: "exposure weighting needs EXPTIME or EXPOSURE")
                }
                raw.append([Double](repeating: exposure, count: channels))
            case .noise:
                raw.append(estimates[index].map { $0.noise > 0 ? 1 / ($0.noise * $0.noise) : 0 })
            case let .keyword(name):
                guard let value = metadata.keyword(name)?.doubleValue, value >= 0 else {
                    throw IntegrationError.badWeight(path: reader.header.path, detail: "weight keyword \(name) missing or negative")
                }
                raw.append([Double](repeating: value, count: channels))
            case let .table(table):
                let name = URL(fileURLWithPath: reader.header.path).lastPathComponent
                guard let value = table[reader.header.path] ?? table[name], value >= 0 else {
                    throw IntegrationError.badWeight(path: reader.header.path, detail: "no weight for this file in the weights table")
                }
                raw.append([Double](repeating: value, count: channels))
            }
        }
        return (0..<raw.count).map { i in
            (0..<channels).map { c in
                let largest = raw.map { $0[c] }.max() ?? 1
                return largest > 0 ? raw[i][c] / largest : 1
            }
        }
    }
}

/// Per-frame, per-pixel normalization supplied by the caller (Local Normalization): applied to each band of each
/// frame as it is read, before range rejection, rejection and combination; pixels without data come back NaN.
public protocol LocalFrameNormalization: Sendable {
    func apply(frame: Int, channel: Int, rows: Range<Int>, values: UnsafeMutableBufferPointer<Float>)
    /// The global signal scale the function multiplies frame values by (for noise weights).
    func signalScale(frame: Int, channel: Int) -> Double
}

/// Thread-safe per-frame rejection counters, in total and per channel.
final class RejectionTallies: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var low: [Int], high: [Int], range: [Int]
    /// [channel][frame].
    private(set) var lowByChannel: [[Int]], highByChannel: [[Int]]
    init(frames: Int, channels: Int) {
        low = [Int](repeating: 0, count: frames)
        high = low
        range = low
        lowByChannel = [[Int]](repeating: low, count: channels)
        highByChannel = lowByChannel
    }
    func add(channel: Int, low l: [Int], high h: [Int], range r: [Int]) {
        lock.withLock {
            for i in 0..<low.count {
                low[i] += l[i]; high[i] += h[i]; range[i] += r[i]
                lowByChannel[channel][i] += l[i]; highByChannel[channel][i] += h[i]
            }
        }
    }
}
