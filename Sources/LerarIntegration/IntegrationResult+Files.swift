import Foundation
import LerarCore
import LerarIO

extension IntegrationResult {
    /// `out.xisf` → `out_rejection_low.xisf`.
    static func sibling(_ path: String, _ suffix: String) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        return url.deletingPathExtension().path + "_" + suffix + (ext.isEmpty ? "" : "." + ext)
    }

    /// Writes the rejection maps there are beside `master` (`_rejection_low`, `_rejection_high`, tagged with their
    /// XISF image type); returns their paths.
    public func writeRejectionMaps(beside master: String, options: ImageWriteOptions) throws -> [String] {
        var written: [String] = []
        for (suffix, map) in [("rejection_low", rejectionLow), ("rejection_high", rejectionHigh)] {
            guard var map else { continue }
            map.metadata.imageType = suffix == "rejection_low" ? "RejectionMapLow" : "RejectionMapHigh"
            let path = Self.sibling(master, suffix)
            try ImageFile.write(map, to: path, options: options)
            written.append(path)
        }
        return written
    }
}
