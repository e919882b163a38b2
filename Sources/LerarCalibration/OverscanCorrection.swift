import Foundation
import LerarCore

/// Overscan subtraction and trimming, as ccdproc's `subtract_overscan` + `trim_image`: the BIASSEC region's median
/// per line (per row for overscan columns, per column for overscan rows), smoothed by a running mean over
/// `smoothing` lines, is subtracted from that line; then the image is trimmed to TRIMSEC (else DATASEC, else
/// everything but the overscan strip). Sections are FITS's `[x1:x2,y1:y2]`, 1-based and inclusive.
public enum OverscanCorrection {
    /// A rectangle in 0-based pixels.
    public struct Region: Sendable, Equatable {
        public var x: Int, y: Int, width: Int, height: Int
    }

    public enum Failure: Error, LocalizedError {
        case badSection(key: String, value: String, size: String)

        public var errorDescription: String? {
            switch self {
            case let .badSection(key, value, size): "\(key) = '\(value)' is not a section inside the \(size) image"
            }
        }
    }

    /// Whether the frame has an overscan region to subtract.
    public static func applies(to metadata: ImageMetadata) -> Bool { metadata.keyword("BIASSEC") != nil }

    /// A FITS section inside a `width`×`height` image (reversed ranges such as `[50:1,…]` allowed).
    public static func region(_ text: String, width: Int, height: Int) -> Region? {
        let inner = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] '"))
        let axes = inner.split(separator: ",").map { $0.split(separator: ":").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
        guard axes.count == 2, axes.allSatisfy({ $0.count == 2 }) else { return nil }
        let (x1, x2) = (min(axes[0][0], axes[0][1]), max(axes[0][0], axes[0][1]))
        let (y1, y2) = (min(axes[1][0], axes[1][1]), max(axes[1][0], axes[1][1]))
        guard x1 >= 1, y1 >= 1, x2 <= width, y2 <= height else { return nil }
        return Region(x: x1 - 1, y: y1 - 1, width: x2 - x1 + 1, height: y2 - y1 + 1)
    }

    /// The corrected, trimmed image; the section keywords are removed and a HISTORY line says what was done.
    public static func apply(_ image: Image, smoothing: Int = CalibrationParameters().overscanSmoothing) throws -> Image {
        let size = "\(image.width)×\(image.height)"
        guard let text = image.metadata.keyword("BIASSEC")?.stringValue else { return image }
        guard let overscan = region(text, width: image.width, height: image.height) else { throw Failure.badSection(key: "BIASSEC", value: text, size: size) }
        // Overscan columns (a tall strip) give one value per row; overscan rows give one per column.
        let perRow = overscan.height >= overscan.width
        var trim: Region
        if let key = ["TRIMSEC", "DATASEC"].first(where: { image.metadata.keyword($0) != nil }) {
            let value = image.metadata.keyword(key)!.stringValue
            guard let found = region(value, width: image.width, height: image.height) else { throw Failure.badSection(key: key, value: value, size: size) }
            trim = found
        } else if perRow {
            trim = overscan.x == 0 ? Region(x: overscan.width, y: 0, width: image.width - overscan.width, height: image.height)
                                   : Region(x: 0, y: 0, width: overscan.x, height: image.height)
        } else {
            trim = overscan.y == 0 ? Region(x: 0, y: overscan.height, width: image.width, height: image.height - overscan.height)
                                   : Region(x: 0, y: 0, width: image.width, height: overscan.y)
        }
        guard trim.width > 0, trim.height > 0 else { throw Failure.badSection(key: "TRIMSEC", value: "(empty)", size: size) }
        var corrected = image
        var mean = 0.0
        for channel in 0..<image.channelCount {
            corrected.withMutableChannel(channel) { plane in
                let lines = perRow ? image.height : image.width
                var levels = [Double](repeating: .nan, count: lines)
                for line in 0..<lines where perRow ? (overscan.y..<(overscan.y + overscan.height)).contains(line) : (overscan.x..<(overscan.x + overscan.width)).contains(line) {
                    var values: [Float] = []
                    if perRow {
                        for x in overscan.x..<(overscan.x + overscan.width) { values.append(plane[line * image.width + x]) }
                    } else {
                        for y in overscan.y..<(overscan.y + overscan.height) { values.append(plane[y * image.width + line]) }
                    }
                    values = values.filter(\.isFinite).sorted()
                    if !values.isEmpty { levels[line] = Double(values[values.count / 2] + values[(values.count - 1) / 2]) / 2 }
                }
                let smoothed = runningMean(levels, window: max(1, smoothing))
                mean += smoothed.filter(\.isFinite).reduce(0, +) / Double(max(1, smoothed.filter(\.isFinite).count))
                for y in 0..<image.height {
                    for x in 0..<image.width {
                        let level = smoothed[perRow ? y : x]
                        if level.isFinite { plane[y * image.width + x] -= Float(level) }
                    }
                }
            }
        }
        var result = corrected.cropped(x: trim.x, y: trim.y, width: trim.width, height: trim.height)
        for key in ["BIASSEC", "TRIMSEC", "DATASEC"] { result.metadata.removeKeyword(key) }
        result.metadata.addHistory(String(format: "%@ overscan: subtracted BIASSEC %@ (mean %.1f ADU, per %@, %d-line mean), trimmed to x=%d y=%d %d×%d",
                                          LerarVersion.application, text, mean / Double(image.channelCount) * 65535, perRow ? "row" : "column",
                                          max(1, smoothing), trim.x, trim.y, trim.width, trim.height))
        return result
    }

    /// Mean over a centred window of the finite values (NaN where the window holds none).
    static func runningMean(_ values: [Double], window: Int) -> [Double] {
        let half = window / 2
        return values.indices.map { index in
            let slice = values[max(0, index - half)...min(values.count - 1, index + half)].filter(\.isFinite)
            return slice.isEmpty ? .nan : slice.reduce(0, +) / Double(slice.count)
        }
    }
}
