import Foundation
import LerarCore

/// A star found in an image, in that image's px.
public struct DetectedStar: Sendable, Codable {
    public var x: Double, y: Double
    /// Peak above background (image units) and background-subtracted flux within 2 FWHM.
    public var peak: Double, flux: Double
    /// Half-maximum diameter, px, and eccentricity from second moments.
    public var fwhm: Double, eccentricity: Double
}

/// A plain star finder for scoring results: local maxima above k·σ, background-subtracted centroids,
/// FWHM from the half-maximum area (unbiased over random pixel phases), eccentricity from second moments.
/// (Registration's star detector and PSF fits come in LerarRegistration; this one only has to be honest.)
public enum SimpleStarFinder {
    public static func find(plane: [Float], width: Int, height: Int, background: BackgroundGrid, sigma: Double,
                            threshold: Double = 5, saturation: Double = .infinity, edge: Int = 3, backgroundMap: [Float]? = nil,
                            residual: [Float]? = nil) -> [DetectedStar] {
        // `residual`: `plane` minus its background, when the caller has it already.
        let residualPlane: [Float]
        if let residual {
            residualPlane = residual
        } else if let backgroundMap {
            var difference = [Float](repeating: .nan, count: plane.count)
            difference.withUnsafeMutableBufferPointer { out in
                let shared = UnsafeSendable(out)
                Parallel.forEachChunk(count: plane.count) { range in
                    for i in range { shared.value[i] = plane[i] - backgroundMap[i] }
                }
            }
            residualPlane = difference
        } else {
            residualPlane = background.residual(of: plane, width: width, height: height)
        }
        guard height > 2 * edge, width > 2 * edge else { return [] }
        let limit = threshold * sigma
        let found = Parallel.mapChunks(count: height - 2 * edge, minimumChunkSize: 16) { rows in
            peaks(residualPlane, plane: plane, width: width, height: height, rows: (rows.lowerBound + edge)..<(rows.upperBound + edge),
                  limit: limit, saturation: saturation, edge: edge)
        }
        return found.flatMap { $0 }
    }

    /// Stars whose peak lies in `rows`.
    static func peaks(_ residual: [Float], plane: [Float], width: Int, height: Int, rows: Range<Int>, limit: Double,
                      saturation: Double, edge: Int) -> [DetectedStar] {
        var stars: [DetectedStar] = []
        // Nearly every pixel is below the limit: eight at a time are compared in Float against a bound just under it
        // (so no pixel above the Double limit is skipped), and only blocks holding one go through the exact test.
        let blockLimit = SIMD8<Float>(repeating: Float(limit).nextDown)
        residual.withUnsafeBufferPointer { residualBuffer in plane.withUnsafeBufferPointer { planeBuffer in
            let raw = UnsafeRawPointer(residualBuffer.baseAddress!)
            func examine(_ x: Int, _ y: Int) {
                let v = Double(residualBuffer[y * width + x])
                guard v > limit, v.isFinite, Double(planeBuffer[y * width + x]) < saturation else { return }
                var isPeak = true, brightNeighbours = 0
                for dy in -2...2 { for dx in -2...2 where dx != 0 || dy != 0 {
                    let n = Double(residualBuffer[(y + dy) * width + x + dx])
                    if !(n.isFinite) || n > v || (n == v && (dy < 0 || (dy == 0 && dx < 0))) { isPeak = false }
                    if abs(dx) <= 1 && abs(dy) <= 1 && n > 0.5 * limit { brightNeighbours += 1 }
                } }
                // A star spreads over its neighbours; a hot pixel or cosmic-ray hit does not.
                guard isPeak, brightNeighbours >= 3 else { return }
                if let star = measure(residual, width: width, height: height, x: x, y: y) { stars.append(star) }
            }
            for y in rows {
                var x = edge
                let end = width - edge
                while x < end {
                    let blockEnd = min(x + 8, end)
                    if blockEnd - x < 8 || any(raw.loadUnaligned(fromByteOffset: (y * width + x) * 4, as: SIMD8<Float>.self) .> blockLimit) {
                        for column in x..<blockEnd { examine(column, y) }
                    }
                    x = blockEnd
                }
            }
        } }
        return stars
    }

    static func measure(_ r: [Float], width: Int, height: Int, x: Int, y: Int) -> DetectedStar? {
        // Peak from a log-parabola through the 3×3 maximum (exact for a Gaussian core).
        let c = Double(r[y * width + x]), l = Double(r[y * width + x - 1]), rr = Double(r[y * width + x + 1]), u = Double(r[(y - 1) * width + x]), d = Double(r[(y + 1) * width + x])
        guard l > 0, rr > 0, u > 0, d > 0 else { return nil }
        let ax = log(l) - 2 * log(c) + log(rr), ay = log(u) - 2 * log(c) + log(d)
        guard ax < 0, ay < 0 else { return nil }
        let ox = 0.5 * (log(l) - log(rr)) / ax, oy = 0.5 * (log(u) - log(d)) / ay
        // Value at the vertex: log-peak = log c − ½(a·o²) per axis (a < 0, so the peak is above the sampled maximum).
        let truePeak = c * exp(-0.5 * (ax * ox * ox + ay * oy * oy))
        let half = truePeak / 2
        var area = 0, reach = 1
        // Half-maximum area: pixels above half the peak, connected outward from the centre, within 12 px.
        for radius in 1...12 {
            var ringAbove = false
            for dy in -radius...radius { for dx in -radius...radius where max(abs(dx), abs(dy)) == radius {
                let px = x + dx, py = y + dy
                guard px >= 0, py >= 0, px < width, py < height else { continue }
                if Double(r[py * width + px]) > half { ringAbove = true }
            } }
            if !ringAbove { reach = radius; break }
        }
        for dy in -reach...reach { for dx in -reach...reach {
            let px = x + dx, py = y + dy
            guard px >= 0, py >= 0, px < width, py < height else { continue }
            if Double(r[py * width + px]) > half { area += 1 }
        } }
        let fwhm = 2 * (Double(area) / .pi).squareRoot()
        // Centroid within 1.5 FWHM, re-centred until it settles (a window off-centre would pull it).
        let window = max(2.0, 1.5 * fwhm), span = Int(window.rounded(.up)) + 1
        var mx = Double(x) + ox, my = Double(y) + oy
        for _ in 0..<5 {
            var sum = 0.0, sx = 0.0, sy = 0.0
            forEachPixel(r, width: width, height: height, around: (x, y), span: span, centre: (mx, my), radius: window) { v, dx, dy in
                sum += v; sx += v * dx; sy += v * dy
            }
            guard sum > 0 else { return nil }
            let (nx, ny) = (mx + sx / sum, my + sy / sum)
            let moved = hypot(nx - mx, ny - my)
            (mx, my) = (nx, ny)
            if moved < 1e-4 { break }
        }
        var sum = 0.0, xx = 0.0, yy = 0.0, xy = 0.0
        forEachPixel(r, width: width, height: height, around: (x, y), span: span, centre: (mx, my), radius: window) { v, dx, dy in
            sum += v; xx += v * dx * dx; yy += v * dy * dy; xy += v * dx * dy
        }
        let trace = (xx + yy) / sum, determinant = (xx * yy - xy * xy) / (sum * sum)
        let spread = max(0, trace * trace / 4 - determinant).squareRoot()
        let major = trace / 2 + spread, minor = max(0, trace / 2 - spread)
        let eccentricity = major > 0 ? (1 - minor / major).squareRoot() : 0
        return DetectedStar(x: mx, y: my, peak: truePeak, flux: sum, fwhm: fwhm, eccentricity: eccentricity)
    }

    /// Calls `body(value ≥ 0, dx, dy)` for each pixel within `radius` of `centre` (offsets from it), searching
    /// `span` px around the integer position `around`.
    @inline(__always)
    static func forEachPixel(_ r: [Float], width: Int, height: Int, around: (Int, Int), span: Int, centre: (Double, Double),
                             radius: Double, _ body: (Double, Double, Double) -> Void) {
        for py in max(0, around.1 - span)...min(height - 1, around.1 + span) {
            for px in max(0, around.0 - span)...min(width - 1, around.0 + span) {
                let dx = Double(px) - centre.0, dy = Double(py) - centre.1
                guard dx * dx + dy * dy <= radius * radius else { continue }
                body(max(0, Double(r[py * width + px])), dx, dy)
            }
        }
    }
}
