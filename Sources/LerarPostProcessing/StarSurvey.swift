import LerarCore
import LerarRegistration

/// A plane's sky (the background grid and its map) and the stars standing above it: the detection the colour
/// calibration, the PSF fit and the deringing support share.
struct StarSurvey {
    let plane: [Float], width: Int, height: Int
    let grid: BackgroundGrid
    /// The sky under every pixel, image units.
    let skyMap: [Float]

    init(plane: [Float], width: Int, height: Int, cellSize: Int) {
        self.plane = plane
        self.width = width
        self.height = height
        grid = BackgroundGrid(plane: plane, width: width, height: height, cellSize: cellSize)
        skyMap = grid.map(width: width, height: height)
    }

    /// Stars whose peak stands `threshold` background σ above the sky (σ measured on the plane minus the map).
    func stars(threshold: Double) -> [DetectedStar] {
        let sigma = grid.residualSigma(plane, width: width, height: height, map: skyMap)
        return SimpleStarFinder.find(plane: plane, width: width, height: height, background: grid, sigma: sigma,
                                     threshold: threshold, backgroundMap: skyMap)
    }
}
