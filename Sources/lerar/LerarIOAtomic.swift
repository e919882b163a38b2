import Foundation
import LerarIO

/// Text outputs of the CLI (HTML, JSON manifests), written atomically and replacing an existing file.
enum LerarIOAtomic {
    static func write(_ text: String, to path: String) throws {
        try AtomicFileWriter.write(Data(text.utf8), to: path, overwrite: true)
    }
}
