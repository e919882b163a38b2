import Foundation
import LerarCore
import LerarRegistration

/// Where the sky background of a colour image is measured.
public enum BackgroundRegion: Sendable, Equatable, Codable {
    /// Found automatically: the darkest star-free cells of the image.
    case automatic
    /// A rectangle chosen by the user (px), with PixInsight's limits on the samples.
    case rectangle(x: Int, y: Int, width: Int, height: Int)
}

/// Settings of the background reference; each default is declared here once.
public struct BackgroundReferenceParameters: Sendable, Equatable, Codable {
    /// Default automatic; PixInsight uses the whole image, which lets nebulae and galaxies into the median.
    public var region: BackgroundRegion = .automatic
    /// Samples inside a rectangle must lie strictly within (low, high) in every channel; defaults 0 and 0.1,
    /// PixInsight's BackgroundNeutralization (shared/reference/postprocessing.md §4). The automatic region clips
    /// stars per cell instead, because a light-polluted sky can sit above 0.1.
    public var low: Double = 0, high: Double = 0.1
    /// Cell side of the automatic search, px; default 32 (the background grid's cell in registration).
    public var cellSize: Int = 32
    /// Fraction of the cells, darkest first, that may form the automatic reference; default 0.25, so extended
    /// objects (which brighten their cells) stay out.
    public var darkestFraction: Double = 0.25

    public init(region: BackgroundRegion = .automatic, low: Double = 0, high: Double = 0.1, cellSize: Int = 32, darkestFraction: Double = 0.25) {
        self.region = region
        self.low = low
        self.high = high
        self.cellSize = cellSize
        self.darkestFraction = darkestFraction
    }
}

/// The measured sky of a colour image: per channel the median and σ over the reference pixels.
public struct BackgroundReference: Sendable, Equatable, Codable {
    /// Median of each channel over the reference pixels, image units.
    public var levels: [Double]
    /// Noise σ of each channel over them (1.4826 · MAD), image units.
    public var sigmas: [Double]
    /// Reference pixels used.
    public var pixelCount: Int
    /// Automatic: cells used out of the cells measured.
    public var cellsUsed: Int, cellsMeasured: Int

    /// Measures the background of `image` (any channel count).
    public static func measure(_ image: Image, parameters: BackgroundReferenceParameters = .init()) throws -> BackgroundReference {
        let width = image.width, height = image.height, channels = image.channelCount
        var pixels: [Int] = []
        var cellsUsed = 0, cellsMeasured = 0
        switch parameters.region {
        case .rectangle(let x, let y, let w, let h):
            guard x >= 0, y >= 0, w > 0, h > 0, x + w <= width, y + h <= height else {
                throw PostProcessingError.invalidInput("background region \(x),\(y) \(w)×\(h) is not inside the \(width)×\(height) image")
            }
            for row in y..<(y + h) {
                for column in x..<(x + w) {
                    let i = row * width + column
                    if (0..<channels).allSatisfy({ c in let v = Double(image[column, row, c]); return v.isFinite && v > parameters.low && v < parameters.high }) {
                        pixels.append(i)
                    }
                }
            }
        case .automatic:
            (pixels, cellsUsed, cellsMeasured) = automaticPixels(image, parameters: parameters)
        }
        guard pixels.count >= 16 else {
            throw PostProcessingError.insufficientData("background reference: only \(pixels.count) sky pixels found; give a region, or check the limits \(parameters.low)…\(parameters.high)")
        }
        var levels: [Double] = [], sigmas: [Double] = []
        for channel in 0..<channels {
            let values = image.withChannel(channel) { plane in pixels.map { plane[$0] } }
            let stats = values.withUnsafeBufferPointer { RobustStatistics.compute($0) }
            levels.append(stats.median)
            sigmas.append(1.4826 * stats.mad)
        }
        return BackgroundReference(levels: levels, sigmas: sigmas, pixelCount: pixels.count, cellsUsed: cellsUsed, cellsMeasured: cellsMeasured)
    }

    /// Pixels of the darkest cells without stars: cells are ranked by the median of the channel mean; a cell whose
    /// brightest pixel stands 5 σ above its median holds a star and is skipped; in the chosen cells, pixels 3 σ
    /// above the cell median (faint stars, wings) are left out.
    static func automaticPixels(_ image: Image, parameters: BackgroundReferenceParameters) -> (pixels: [Int], used: Int, measured: Int) {
        let width = image.width, height = image.height
        let luminance = image.channelMean()
        let cell = max(8, min(parameters.cellSize, min(width, height) / 4))
        struct Cell { var x: Int, y: Int, median: Double, sigma: Double, peak: Double }
        var cells: [Cell] = []
        for cy in stride(from: 0, through: height - cell, by: cell) {
            for cx in stride(from: 0, through: width - cell, by: cell) {
                var values: [Float] = []
                values.reserveCapacity(cell * cell)
                for y in cy..<(cy + cell) { for x in cx..<(cx + cell) where luminance[y * width + x].isFinite && luminance[y * width + x] != 0 { values.append(luminance[y * width + x]) } }
                guard values.count * 2 >= cell * cell else { continue }
                let stats = values.withUnsafeBufferPointer { RobustStatistics.compute($0) }
                cells.append(Cell(x: cx, y: cy, median: stats.median, sigma: 1.4826 * stats.mad, peak: stats.maximum))
            }
        }
        guard !cells.isEmpty else { return ([], 0, 0) }
        let typicalSigma = BackgroundGrid.median(cells.map(\.sigma))
        let ranked = cells.sorted { $0.median < $1.median }
        let darkest = ranked.prefix(max(1, Int((Double(ranked.count) * parameters.darkestFraction).rounded(.up))))
        var chosen = darkest.filter { $0.peak - $0.median <= 5 * max(typicalSigma, $0.sigma) }
        if chosen.count * 4 < darkest.count { chosen = Array(darkest) }  // a crowded field: every dark cell has a star
        var pixels: [Int] = []
        for c in chosen {
            let limit = Float(c.median + 3 * max(typicalSigma, c.sigma))
            for y in c.y..<(c.y + cell) {
                for x in c.x..<(c.x + cell) {
                    let i = y * width + x
                    let v = luminance[i]
                    if v.isFinite && v != 0 && v <= limit { pixels.append(i) }
                }
            }
        }
        return (pixels, chosen.count, cells.count)
    }
}
