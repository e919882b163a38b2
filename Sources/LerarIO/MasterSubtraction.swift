import Foundation
import LerarCore

/// A master subtracted sample by sample from frames as they are read (a flat's dark-flat or bias): a one-channel
/// master applies to every channel of the frame, one of as many channels channel by channel.
public struct MasterSubtraction: Sendable {
    public let master: Image
    /// The master's path, for messages.
    public let path: String

    public init(master: Image, path: String) {
        self.master = master
        self.path = path
    }

    /// Throws when a frame of `width`×`height`×`channels` px cannot take this master.
    public func check(width: Int, height: Int, channels: Int, path framePath: String) throws {
        guard width == master.width, height == master.height, master.channelCount == 1 || master.channelCount == channels else {
            throw ImageIOError.geometryMismatch(path: framePath, detail: "frame is \(width)×\(height)×\(channels), its master \(path) is "
                                                + "\(master.width)×\(master.height)×\(master.channelCount)")
        }
    }

    /// Subtracts the master from the whole of `image`.
    public func apply(to image: inout Image, path framePath: String) throws {
        try check(width: image.width, height: image.height, channels: image.channelCount, path: framePath)
        let master = self.master
        image.withMutableSamples { samples in
            master.withSamples { m in
                let shared = UnsafeSendable((samples, m))
                Parallel.forEachChunk(count: samples.count) { range in
                    let (samples, m) = shared.value
                    for i in range { samples[i] -= m[i % m.count] }
                }
            }
        }
    }

    /// Subtracts the master's `rows` of `channel` from `band` (rows.count × width samples of that channel).
    public func apply(rows: Range<Int>, channel: Int, to band: UnsafeMutableBufferPointer<Float>) {
        let width = master.width, masterChannel = master.channelCount == 1 ? 0 : channel
        let first = (masterChannel * master.height + rows.lowerBound) * width
        master.withSamples { m in
            for i in 0..<(rows.count * width) { band[i] -= m[first + i] }
        }
    }
}
