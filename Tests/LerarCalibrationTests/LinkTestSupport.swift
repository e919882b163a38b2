import Foundation
import LerarCore
import LerarIO
@testable import LerarCalibration
import LerarSimulator

/// A tiny simulated session on disk (64×64 frames: linking reads headers only), removed afterwards.
final class LinkSession: @unchecked Sendable {
    let path = NSTemporaryDirectory() + "lerar-link-" + UUID().uuidString

    init(filters: [String] = ["L", "R"], panels: Int = 1, nights: Int = 1, osc: Bool = false, format: String = "fits") throws {
        var c = SessionConfiguration()
        c.nights = nights
        c.width = 64
        c.height = 64
        c.lightsPerFilter = 3
        c.filters = filters
        c.panels = panels
        c.oneShotColor = osc
        c.biasCount = 5
        c.darkCount = 5
        c.flatCount = 5
        c.darkFlatCount = 5
        c.format = format
        c.starDensity = 100
        _ = try SessionWriter(configuration: c).write(to: path)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func files(in folder: String) -> [String] {
        let root = path + "/" + folder
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".fits") || $0.hasSuffix(".xisf") }.map { root + "/" + $0 }.sorted()
    }

    /// Rewrites the headers of every file under `folder` (optionally only names containing `matching`).
    func rewrite(_ folder: String, matching: String? = nil, _ change: (inout ImageMetadata) -> Void) throws {
        for file in files(in: folder) where matching.map({ file.contains($0) }) ?? true {
            var image = try ImageFile.read(file)
            change(&image.metadata)
            try ImageFile.write(image, to: file, options: ImageWriteOptions(sampleFormat: .uint16, overwrite: true))
        }
    }

    func remove(_ folder: String, matching: String? = nil) throws {
        for file in files(in: folder) where matching.map({ file.contains($0) }) ?? true { try FileManager.default.removeItem(atPath: file) }
    }

    func plan(_ rules: LinkRules = LinkRules(), overrides: LinkOverrides? = nil) throws -> LinkPlan {
        try LinkPlan.make(roots: [path], rules: rules, overrides: overrides)
    }
}

extension LinkPlan {
    /// Links of the light group with this filter (and --group-by value).
    func links(filter: String?, value: String? = nil) -> LightGroupLinks? {
        lights.first { links in
            let group = self.group(links.lightGroup)!
            return group.filter == filter && (value == nil || group.groupingValues.values.contains(value!))
        }
    }
}
