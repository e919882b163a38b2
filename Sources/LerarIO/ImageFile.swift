import LerarCore

/// Reads and writes images by file extension (FITS or XISF; camera raw files are read only).
public enum ImageFile {
    /// Header only: geometry, sample format, compression, keywords and properties.
    public static func readHeader(_ path: String) throws -> ImageFileHeader {
        switch try ImageFileFormat.from(path: path) {
        case .fits: try FITSReader.readHeader(path)
        case .xisf: try XISFReader.readHeader(path)
        case .cameraRaw: try CameraRawReader.readHeader(path)
        }
    }

    /// The whole image, integer samples normalised to [0,1].
    public static func read(_ path: String) throws -> Image {
        switch try ImageFileFormat.from(path: path) {
        case .fits: try FITSReader.read(path)
        case .xisf: try XISFReader.read(path)
        case .cameraRaw: try CameraRawReader.read(path)
        }
    }

    /// Writes atomically (temporary file + rename); refuses to replace a file unless `options.overwrite`.
    /// Returns the file's content hash when `options.contentHash` asks and the writer had the bytes in hand (XISF),
    /// so a cache need not read the file back; else nil (FITS: cfitsio writes it).
    @discardableResult
    public static func write(_ image: Image, to path: String, options: ImageWriteOptions = ImageWriteOptions()) throws -> String? {
        switch try ImageFileFormat.from(path: path) {
        case .fits: try FITSWriter.write(image, to: path, options: options); return nil
        case .xisf: return try XISFWriter.write(image, to: path, options: options)
        case .cameraRaw: throw ImageIOError.unsupported(path: path, detail: "camera raw files are read, never written (write .xisf or .fits)")
        }
    }
}
