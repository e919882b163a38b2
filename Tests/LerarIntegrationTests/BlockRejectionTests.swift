import Foundation
import Testing
@testable import LerarIntegration

/// The 8-pixel kernels (sorting network, winsorization's first round in vectors) against the per-pixel algorithm.
@Suite struct BlockRejectionTests {
    struct Generator {
        var state: UInt64
        mutating func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Double(state >> 11) + 0.5) / Double(1 << 53)
        }
        mutating func gaussian() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform()) }
    }

    enum Stack: CaseIterable { case gaussian, outliers, quantized, constant, missing }

    /// Samples of one pixel: sky with noise, plus what real stacks hold (cosmic rays, trails, dark holes, 16-bit
    /// quantization, saturated constant stacks, missing samples at frame edges).
    static func samples(_ kind: Stack, count: Int, generator: inout Generator) -> [Float] {
        (0..<count).map { i -> Float in
            let sky = 0.1 + 0.002 * generator.gaussian()
            switch kind {
            case .gaussian: return Float(sky)
            case .outliers:
                let u = generator.uniform()
                return Float(u < 0.03 ? sky + 0.05 * generator.uniform() : (u < 0.04 ? sky - 0.02 : sky))
            case .quantized: return Float((0.1 * 65535 + 0.7 * generator.gaussian()).rounded() / 65535) // many ties, MAD often 0
            case .constant: return 1
            case .missing: return i % 7 == 3 && generator.uniform() < 0.5 ? .infinity : Float(sky)
            }
        }
    }

    @Test(arguments: [3, 4, 7, 15, 20, 24, 41])
    func winsorizedBlocksKeepWhatThePerPixelAlgorithmKeeps(count: Int) {
        let parameters = IntegrationParameters.biasOrDark
        let rejection = StackRejection(parameters: parameters, frameCount: count)
        #expect(rejection.algorithm == .winsorized)
        let blocks = BlockRejection(rejection: rejection, network: SortingNetwork(size: count))
        let lanes = BlockRejection.lanes
        var generator = Generator(state: UInt64(count))
        let values = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2 * count + 2)
        defer { values.deallocate(); scratch.deallocate() }
        var compared = 0, identical = 0, states: [Int32: Int] = [:]
        for trial in 0..<400 {
            let kind = Stack.allCases[trial % Stack.allCases.count]
            let stacks = (0..<lanes).map { _ in Self.samples(kind, count: count, generator: &generator) }
            for lane in 0..<lanes {
                blocks.counts[lane] = Int32(stacks[lane].filter(\.isFinite).count)
                for i in 0..<count { blocks.block[i * lanes + lane] = stacks[lane][i] }
            }
            blocks.sortAndPrepare()
            for lane in 0..<lanes {
                if let state = blocks.firstRoundState(lane: lane) { states[state, default: 0] += 1 }
                blocks.copySorted(lane: lane, to: values)
                #expect(Array(UnsafeBufferPointer(start: values, count: count)) == stacks[lane].sorted())
                let n = Int(blocks.counts[lane])
                let kept = blocks.kept(lane: lane, values: values, scratch: scratch)
                let expected = rejection.reject(values, n, scratch: scratch)
                compared += 1
                if kept == expected { identical += 1; continue }
                // The kernel sums in float, the per-pixel path in double: a sample right at a limit may fall either side.
                #expect(abs(kept.lowerBound - expected.lowerBound) <= 1 && abs(kept.upperBound - expected.upperBound) <= 1,
                        "\(kind) lane \(lane): \(kept) vs \(expected)")
                #expect(kind != .constant, "constant stacks must keep everything")
            }
        }
        #expect(Double(identical) >= 0.995 * Double(compared), "\(identical) of \(compared) identical")
        if count >= 15 { // the kernel ran, and every outcome of its first round was met
            #expect(states[0, default: 0] > 0 && states[1, default: 0] > 0 && states[2, default: 0] > 0, "\(states)")
        }
    }
}
