import Foundation
import LerarCalibration
import LerarCore
import LerarIO

/// Cataloguing and linking 1,000 small frames (64×64 UInt16 FITS with capture-program headers): headers only.
func runCatalogueBenchmark(folder: String) throws {
    let root = folder + "/catalogue-1000"
    try? FileManager.default.removeItem(atPath: root)
    let kinds: [(String, String, Double, String?)] = [("lights", "LIGHT", 300, "L"), ("darks", "DARK", 300, nil), ("flats", "FLAT", 1, "L"),
                                                      ("bias", "BIAS", 0, nil), ("darkflats", "DARKFLAT", 1, nil)]
    var image = Image(width: 64, height: 64)
    for index in 0..<1000 {
        let (subfolder, type, exposure, filter) = kinds[index % kinds.count]
        try FileManager.default.createDirectory(atPath: root + "/" + subfolder, withIntermediateDirectories: true)
        image.metadata = ImageMetadata(keywords: [
            .string("IMAGETYP", type), .number("EXPTIME", exposure), .integer("XBINNING", 1), .integer("YBINNING", 1),
            .integer("GAIN", 100), .integer("OFFSET", 50), .number("SET-TEMP", -10), .number("CCD-TEMP", -10.1),
            .string("INSTRUME", "ZWO ASI2600MM Pro"), .string("DATE-OBS", "2024-03-01T21:00:00"),
        ] + (filter.map { [FITSKeyword.string("FILTER", $0)] } ?? []))
        try ImageFile.write(image, to: String(format: "%@/%@/frame_%04d.fits", root, subfolder, index), options: ImageWriteOptions(sampleFormat: .uint16))
    }
    var times: [Double] = []
    var plan: LinkPlan?
    for _ in 0..<3 {
        let start = DispatchTime.now().uptimeNanoseconds
        plan = try LinkPlan.make(roots: [root], rules: LinkRules())
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    precondition(plan?.frames.count == 1000 && plan?.fullyLinked == true, "catalogue benchmark session should link fully")
    print(String(format: "\nlink: catalogued, grouped and linked 1,000 frames in %.3f s (best of 3; median %.3f s; warm page cache, %d cores)",
                 times.min()!, times.sorted()[1], Parallel.coreCount))
    try? FileManager.default.removeItem(atPath: root)
}
