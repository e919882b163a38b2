import LerarCore

/// Bilinear demosaicing: every missing colour is the mean of the nearest samples of that colour (2 or 4 of them).
/// Fast and artefact-prone on sharp edges (zippering, false colour); NaN samples are left out of every mean.
enum BilinearDemosaic {
    static func run(_ mosaic: Mosaic, metadata: ImageMetadata) -> Image {
        let shared = UnsafeSendable(mosaic)
        return Image.rgb(width: mosaic.width, height: mosaic.height, metadata: metadata) { y, red, green, blue in
            let mosaic = shared.value
            for x in 0..<mosaic.width {
                (red[x], green[x], blue[x]) = mosaic.bilinear(x, y)
            }
        }
    }
}
