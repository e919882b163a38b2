import Foundation
import LerarCore

/// Where the frames a stage names by path come from: their files, or images a pipeline holds in memory under those
/// paths (frames passed from stage to stage without being written). Stages take paths and read through a source, so
/// the same code serves files and memory.
public struct ImageSource: Sendable {
    /// The image held under a path, nil when it is to be read from its file.
    let held: @Sendable (String) -> Image?

    public init(held: @escaping @Sendable (String) -> Image?) { self.held = held }

    /// Every frame from its file.
    public static let files = ImageSource { _ in nil }

    /// The image at `path`: held, else read from the file.
    public func read(_ path: String) throws -> Image { try held(path) ?? ImageFile.read(path) }

    /// A band reader of `path`: over the held image (its bytes counted as resident), else over the file.
    public func rowReader(_ path: String) throws -> ImageRowReader {
        if let image = held(path) { return ImageRowReader(image: image, path: path) }
        return try ImageRowReader(path: path)
    }
}
