import LerarCore
import LerarNormalization

/// Settings of ChannelCombination; each default is declared here once.
public struct ChannelCombinationParameters: Sendable, Equatable, Codable {
    /// Crop to the area where all three channels have data (registration borders differ per filter); default true,
    /// shared/reference/postprocessing.md §12: a stack keeps only what every input covers.
    public var cropToCommonArea: Bool = true

    public init(cropToCommonArea: Bool = true) { self.cropToCommonArea = cropToCommonArea }
}

/// The RGB image of three registered gray masters, and the crop it took, px in the masters' grid.
public struct ChannelCombinationResult: Sendable {
    public var image: Image
    public var crop: (x: Int, y: Int, width: Int, height: Int)
}

/// PixInsight's ChannelCombination in RGB: three registered gray masters become one colour image.
public enum ChannelCombination {
    /// Combines `red`, `green` and `blue`; they must share one grid (the pipeline registers every filter of a panel
    /// to one reference). The metadata is the red master's, without FILTER.
    public static func combine(red: Image, green: Image, blue: Image, parameters: ChannelCombinationParameters = .init()) throws -> ChannelCombinationResult {
        for (name, image) in [("red", red), ("green", green), ("blue", blue)] {
            guard image.channelCount == 1 else { throw PostProcessingError.invalidInput("ChannelCombination: the \(name) master has \(image.channelCount) channels, expected 1") }
            guard image.width == red.width, image.height == red.height else {
                throw PostProcessingError.sizeMismatch("ChannelCombination: the \(name) master is \(image.width)×\(image.height), the red \(red.width)×\(red.height); register the masters to one grid first")
            }
        }
        var crop = (x: 0, y: 0, width: red.width, height: red.height)
        if parameters.cropToCommonArea {
            var common = Autocrop(width: red.width, height: red.height)
            for image in [red, green, blue] { common.add(image) }
            guard let rectangle = common.rectangle() else {
                throw PostProcessingError.insufficientData("ChannelCombination: the red, green and blue masters have no area in common")
            }
            crop = rectangle
        }
        var metadata = red.metadata
        metadata.removeKeyword("FILTER")
        var output = Image(width: crop.width, height: crop.height, colorSpace: .rgb, metadata: metadata)
        for (channel, image) in [red, green, blue].enumerated() {
            let part = crop == (0, 0, red.width, red.height) ? image : image.cropped(x: crop.x, y: crop.y, width: crop.width, height: crop.height)
            part.withChannel(0) { source in
                output.withMutableChannel(channel) { target in _ = target.update(fromContentsOf: source) }
            }
        }
        return ChannelCombinationResult(image: output, crop: crop)
    }

    /// The gray image of one channel of `image`.
    public static func channel(_ channel: Int, of image: Image) -> Image {
        image.withChannel(channel) { plane in
            Image(width: image.width, height: image.height, samples: Array(plane), metadata: image.metadata)
        }
    }
}
