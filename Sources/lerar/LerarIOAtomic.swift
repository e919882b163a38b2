import Foundation
import LerarIO

/// Bridges CLI text outputs to LerarIO's atomic writer.
enum LerarIOAtomic {
    static func write(_ text: String, to path: String) throws {
        try AtomicFileWriter.write(to: path, overwrite: true) { temporary in
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        }
    }
}
