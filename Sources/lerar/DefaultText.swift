import Foundation

/// Defaults shown in `--help` texts, written from the stage `Parameters` values (never typed again) and printed as
/// people write them: 4, 0.2, 1024.
enum DefaultText {
    static func numbers(_ values: Double...) -> String {
        values.map { $0.rounded() == $0 && abs($0) < 1e15 ? String(Int64($0)) : "\($0)" }.joined(separator: " ")
    }
}
