import Foundation
import LerarCore

/// Where the frames a stage names by path come from: their files, or images a pipeline holds in memory under those
/// paths (frames passed from stage to stage without being written). Stages take paths and read through a source, so
/// the same code serves files and memory.
public struct ImageSource: Sendable {
    /// The image held under a path, nil when it is to be read from its file.
    let held: @Sendable (String) -> Image?
    /// Subtracted from every frame read from its file (a flat's dark-flat or bias master), nil for none.
    let subtracted: MasterSubtraction?

    public init(held: @escaping @Sendable (String) -> Image?, subtracted: MasterSubtraction? = nil) {
        self.held = held
        self.subtracted = subtracted
    }

    /// Every frame from its file.
    public static let files = ImageSource { _ in nil }

    /// Every frame from its file less `master` (`masterPath` names it in errors): flats too many to hold are
    /// calibrated as they are read, whole or by bands, instead of written calibrated and read back.
    public static func files(subtracting master: Image, masterPath: String) -> ImageSource {
        ImageSource(held: { _ in nil }, subtracted: MasterSubtraction(master: master, path: masterPath))
    }

    /// The image at `path`: held, else read from the file (less the master, if any).
    public func read(_ path: String) throws -> Image {
        if let image = held(path) { return image }
        var image = try ImageFile.read(path)
        try subtracted?.apply(to: &image, path: path)
        return image
    }

    /// A band reader of `path`: over the held image (its bytes counted as resident), else over the file.
    public func rowReader(_ path: String) throws -> ImageRowReader {
        if let image = held(path) { return ImageRowReader(image: image, path: path) }
        return try ImageRowReader(path: path, subtracting: subtracted)
    }
}
