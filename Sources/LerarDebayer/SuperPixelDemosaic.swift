import LerarCore

/// Super-pixel demosaicing: each 2×2 cell becomes one RGB pixel (its red, the mean of its two greens, its blue), so
/// the result has half the width and height and no interpolated sample. A last odd row or column is dropped. A cell
/// whose red or blue has no data gives NaN there; one green without data leaves the other.
enum SuperPixelDemosaic {
    static func run(_ mosaic: Mosaic, metadata: ImageMetadata) throws -> Image {
        let width = mosaic.width / 2, height = mosaic.height / 2
        guard width > 0, height > 0 else { throw DebayerError.tooSmall(width: mosaic.width, height: mosaic.height) }
        let shared = UnsafeSendable(mosaic)
        return Image.rgb(width: width, height: height, metadata: metadata) { y, red, green, blue in
            let mosaic = shared.value
            for x in 0..<width {
                var r: Float = .nan, b: Float = .nan, greenSum: Float = 0, greens = 0
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let sx = 2 * x + dx, sy = 2 * y + dy
                    let v = mosaic.value(sx, sy)
                    switch mosaic.pattern.channel(x: sx, y: sy) {
                    case 0: r = v ?? .nan
                    case 2: b = v ?? .nan
                    default: if let v { greenSum += v; greens += 1 }
                    }
                }
                red[x] = r
                green[x] = greens > 0 ? greenSum / Float(greens) : .nan
                blue[x] = b
            }
        }
    }
}
