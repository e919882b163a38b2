import Foundation
import LerarCore
import LerarRegistration

/// Background extraction (what ABE/DBE and GraXpert do): a smooth model fitted to star-free background samples on a
/// grid, then subtracted (gradients from light pollution, the level kept) or divided (vignetting-like, multiplicative).
/// Used on the LN reference (`lnref --flatten`), since LN carries the reference's background into every sub.
public enum BackgroundExtraction {
    public enum Model: Sendable, Equatable {
        /// A 2-D polynomial of total degree 1…6 (ABE-like; degree 2 handles linear and bowl-shaped gradients).
        case polynomial(degree: Int)
        /// A smooth surface through the samples: local-linear fits over a coarse grid (DBE-spline-like); follows
        /// more complex shapes than a low-degree polynomial.
        case surface
    }

    public enum Correction: String, Sendable, Codable, CaseIterable { case subtract, divide }

    /// Polynomial degree by default: 2 handles linear and bowl-shaped gradients (for the LN reference, degrees 1,
    /// 2 and 3 gave the same stack flatness on the simulator's 1024² sessions).
    public static let defaultDegree = 2

    public struct Parameters: Sendable {
        public var model = Model.polynomial(degree: BackgroundExtraction.defaultDegree)
        public var correction = Correction.subtract
        /// Sample cell size, px; nil: 1/24 of the short side (at least 16 px).
        public var sampleSpacing: Int?
        public init() {}
    }

    /// The corrected image and the model (same geometry, one model per channel).
    public static func apply(_ image: Image, parameters: Parameters = Parameters()) throws -> (corrected: Image, model: Image) {
        let width = image.width, height = image.height
        let spacing = parameters.sampleSpacing ?? max(16, min(width, height) / 24)
        var model = Image(width: width, height: height, colorSpace: image.colorSpace, metadata: image.metadata)
        var corrected = image
        for channel in 0..<image.channelCount {
            let surface: SurfaceGrid
            switch parameters.model {
            case .surface:
                surface = image.withChannel(channel) { LargeScaleBackground.model($0, width: width, height: height, spacing: spacing, smoothingCells: 1.5).surface }
            case let .polynomial(degree):
                guard (1...6).contains(degree) else { throw NormalizationError.badParameter("polynomial degree must be 1…6, got \(degree)") }
                // Samples: the clipped cell medians, with no smoothing (σ → 0 keeps each cell's own value).
                let samples = image.withChannel(channel) { LargeScaleBackground.model($0, width: width, height: height, spacing: spacing, smoothingCells: 0.3) }
                surface = try polynomialSurface(samples.surface, degree: degree, path: "channel \(channel)")
            }
            model.withMutableChannel(channel) { out in
                let shared = UnsafeSendable(out)
                Parallel.forEachChunk(count: height, minimumChunkSize: 16) { rows in
                    surface.render(rows: rows, into: UnsafeMutableBufferPointer(rebasing: shared.value[(rows.lowerBound * width)..<(rows.upperBound * width)]))
                }
            }
            let level = Float(surface.median)
            model.withChannel(channel) { m in
                corrected.withMutableChannel(channel) { c in
                    for i in 0..<c.count where c[i].isFinite {
                        c[i] = parameters.correction == .subtract ? c[i] - m[i] + level : (m[i] > 0 ? c[i] / m[i] * level : .nan)
                    }
                }
            }
        }
        corrected.sourceSampleFormat = .float32
        model.sourceSampleFormat = .float32
        return (corrected, model)
    }

    /// The least-squares polynomial through the grid's cells (two rounds rejecting cells beyond 3σ), evaluated on a
    /// grid of 8-px cells (fine enough that bilinear evaluation between them is exact to ~1e-6 of the sky).
    static func polynomialSurface(_ samples: SurfaceGrid, degree: Int, path: String) throws -> SurfaceGrid {
        let terms = (0...degree).flatMap { i in (0...(degree - i)).map { j in (i, j) } }
        let halfWidth = Double(samples.width) / 2, halfHeight = Double(samples.height) / 2
        func basis(_ x: Double, _ y: Double) -> [Double] {
            let u = (x - halfWidth) / halfWidth, v = (y - halfHeight) / halfHeight
            return terms.map { pow(u, Double($0.0)) * pow(v, Double($0.1)) }
        }
        var points: [(x: Double, y: Double, value: Double)] = []
        for row in 0..<samples.rows {
            for column in 0..<samples.columns {
                let x = (Double(column) + 0.5) * Double(samples.width) / Double(samples.columns) - 0.5
                let y = (Double(row) + 0.5) * Double(samples.height) / Double(samples.rows) - 0.5
                points.append((x, y, samples.values[row * samples.columns + column]))
            }
        }
        var coefficients: [Double] = []
        for _ in 0..<3 {
            guard points.count > terms.count else { throw NormalizationError.insufficientData(path: path, detail: "too few background samples for degree \(degree)") }
            var normal = [Double](repeating: 0, count: terms.count * terms.count), rhs = [Double](repeating: 0, count: terms.count)
            for p in points {
                let b = basis(p.x, p.y)
                for i in 0..<terms.count {
                    rhs[i] += b[i] * p.value
                    for j in 0..<terms.count { normal[i * terms.count + j] += b[i] * b[j] }
                }
            }
            guard let solved = LinearSolver.solve(normal, rhs, size: terms.count) else { throw NormalizationError.insufficientData(path: path, detail: "degenerate background samples") }
            coefficients = solved
            let residuals = points.map { p in p.value - zip(basis(p.x, p.y), coefficients).reduce(0) { $0 + $1.0 * $1.1 } }
            let sigma = 1.4826 * BackgroundGrid.median(residuals.map(abs))
            let kept = zip(points, residuals).filter { abs($0.1) <= 3 * sigma }.map(\.0)
            if sigma == 0 || kept.count == points.count { break }
            points = kept
        }
        let fine = 8, columns = max(1, samples.width / fine), rows = max(1, samples.height / fine)
        var values = [Double](repeating: 0, count: columns * rows)
        for row in 0..<rows {
            for column in 0..<columns {
                let x = (Double(column) + 0.5) * Double(samples.width) / Double(columns) - 0.5
                let y = (Double(row) + 0.5) * Double(samples.height) / Double(rows) - 0.5
                values[row * columns + column] = zip(basis(x, y), coefficients).reduce(0) { $0 + $1.0 * $1.1 }
            }
        }
        return SurfaceGrid(width: samples.width, height: samples.height, spacing: fine, values: values)
    }
}
