import Foundation

/// Where Lerar writes: the output folder's sub-folders and the WBPP-like suffixes each stage adds to a frame's
/// name (`_c`, `_cc`, `_d`, `_r`, `_n`), in one place for `lerar run` and the single-stage commands.
public struct OutputLayout: Sendable, Equatable {
    /// A sub-folder of the output folder.
    public enum Folder: String, Sendable, CaseIterable {
        case master, calibrated, registered, normalized, logs, report, cache, final
    }

    /// What a stage has done to a frame, as the suffix of its name.
    public enum Suffix: String, Sendable {
        /// Calibrated (WBPP `_c`).
        case calibrated = "_c"
        /// Calibrated and cosmetically corrected (`_c_cc`).
        case cosmeticallyCorrected = "_c_cc"
        /// Debayered (`_d`).
        case debayered = "_d"
        /// Registered (`_r`).
        case registered = "_r"
        /// Local-normalized (`_n`).
        case normalized = "_n"
        /// A master cropped to the area every frame covers.
        case autocropped = "_autocrop"
        /// A drizzle's coverage map.
        case coverage = "_coverage"
    }

    /// The output folder.
    public let root: String

    public init(root: String) { self.root = root }

    /// `root/folder`.
    public func path(_ folder: Folder) -> String { (root as NSString).appendingPathComponent(folder.rawValue) }

    /// `root/folder/stack`: the frames of one stack (WBPP's post-calibration group) in a stage's folder.
    public func path(_ folder: Folder, stack: String) -> String { (path(folder) as NSString).appendingPathComponent(stack) }

    /// `<stem of path><suffix>.<ext>`: the name `suffix`'s stage gives the file at `path`.
    public static func name(of path: String, adding suffix: Suffix, extension ext: String) -> String {
        stem(path) + suffix.rawValue + "." + ext
    }

    /// The path `suffix`'s stage writes the file at `path` to, in `folder`.
    public static func path(of path: String, adding suffix: Suffix, extension ext: String, in folder: String) -> String {
        (folder as NSString).appendingPathComponent(name(of: path, adding: suffix, extension: ext))
    }

    /// The name of a calibrated frame: `_c`, or `_c_cc` when cosmetic correction ran.
    public static func calibratedName(of path: String, cosmetic: Bool, extension ext: String) -> String {
        name(of: path, adding: cosmetic ? .cosmeticallyCorrected : .calibrated, extension: ext)
    }

    /// The file name without its folder and extension.
    public static func stem(_ path: String) -> String { URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }
}
