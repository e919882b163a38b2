import CLerarKernels

/// Rejection of eight neighbouring pixels at once. Row i of a block holds sample i of the eight (as they lie in the
/// frames), so the sorting network and winsorization's first round run as 8-lane vectors (CLerarKernels); the
/// later rounds, taken by the few pixels whose first round clipped, and every other algorithm run per pixel.
/// Owns its buffers: one per worker, not shared.
final class BlockRejection {
    /// Pixels per block.
    static let lanes = 8
    let rejection: StackRejection
    let network: SortingNetwork
    let rows: Int
    /// `rows × lanes` samples; missing ones must be +∞.
    let block: UnsafeMutablePointer<Float>
    /// Samples present in each lane.
    let counts: UnsafeMutablePointer<Int32>
    private let kernelScratch: UnsafeMutablePointer<Float>
    private let keptLow: UnsafeMutablePointer<Int32>, keptHigh: UnsafeMutablePointer<Int32>, laneStates: UnsafeMutablePointer<Int32>
    private var winsorization: LerarWinsorizedParameters
    private var firstRoundDone = false

    init(rejection: StackRejection, network: SortingNetwork) {
        self.rejection = rejection
        self.network = network
        rows = network.size
        let lanes = Self.lanes
        block = .allocate(capacity: lanes * max(rows, 1))
        kernelScratch = .allocate(capacity: lanes * max(rows, 1))
        counts = .allocate(capacity: 4 * lanes)
        keptLow = counts + lanes
        keptHigh = counts + 2 * lanes
        laneStates = counts + 3 * lanes
        let p = rejection.parameters
        winsorization = LerarWinsorizedParameters(cutoff: p.winsorizationCutoff, sigmaLow: p.sigmaLow, sigmaHigh: p.sigmaHigh,
                                                  clipLow: p.clipLow ? 1 : 0, clipHigh: p.clipHigh ? 1 : 0)
    }

    deinit {
        block.deallocate()
        kernelScratch.deallocate()
        counts.deallocate()
    }

    /// Sorts each lane of `block` and runs what can run on all eight at once.
    func sortAndPrepare() {
        network.flatPairs.withUnsafeBufferPointer { lerar_sort8(block, $0.baseAddress, Int64(network.pairs.count)) }
        // The kernel takes winsorization's first round when the eight have as many samples (all but frame edges).
        let n = counts[0]
        firstRoundDone = rejection.algorithm == .winsorized && n >= 3 && (1..<Self.lanes).allSatisfy { counts[$0] == n }
        if firstRoundDone {
            lerar_winsorized8_first_round(block, Int64(n), &winsorization, kernelScratch, keptLow, keptHigh, laneStates)
        }
    }

    /// What the 8-lane first round said of lane `lane` (0 done, 1 later rounds follow, 2 scalar from the start), or
    /// nil when it did not run (for tests).
    func firstRoundState(lane: Int) -> Int32? { firstRoundDone ? laneStates[lane] : nil }

    /// Copies lane `lane`'s sorted samples (all `rows`) to `values`.
    func copySorted(lane: Int, to values: UnsafeMutablePointer<Float>) {
        for j in 0..<rows { values[j] = block[j * Self.lanes + lane] }
    }

    /// Kept range of lane `lane`, whose sorted samples `copySorted` put in `values`.
    func kept(lane: Int, values: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Double>) -> Range<Int> {
        let n = Int(counts[lane])
        switch firstRoundDone ? laneStates[lane] : -1 {
        case 0: return Int(keptLow[lane])..<Int(keptHigh[lane])
        case 1: return rejection.winsorized(values, n, scratch, laterRoundsFrom: Int(keptLow[lane])..<Int(keptHigh[lane]))
        default: return rejection.reject(values, n, scratch: scratch)
        }
    }
}
