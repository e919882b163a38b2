import Foundation

/// Output helpers for the CLI: errors to stderr, JSON to stdout.
enum Terminal {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data(("lerar: " + message + "\n").utf8))
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Message of any error, preferring our descriptive ones; file-system errors as "PATH: permission denied".
    static func describe(_ error: Error) -> String {
        // Lerar's own errors say what to do; Foundation's file errors come as "PATH: the reason".
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain || nsError.domain == NSPOSIXErrorDomain {
            let path = (nsError.userInfo[NSFilePathErrorKey] as? String) ?? (nsError.userInfo[NSURLErrorKey] as? URL)?.path
            var reason: String
            if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
                reason = String(cString: strerror(Int32(underlying.code)))
            } else if nsError.domain == NSPOSIXErrorDomain {
                reason = String(cString: strerror(Int32(nsError.code)))
            } else {
                switch nsError.code {
                case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: reason = "permission denied"
                case NSFileWriteOutOfSpaceError: reason = "no space left on device"
                case NSFileWriteVolumeReadOnlyError: reason = "read-only file system"
                case NSFileNoSuchFileError, NSFileReadNoSuchFileError: reason = "no such file or folder"
                default: reason = nsError.localizedFailureReason ?? nsError.localizedDescription
                }
            }
            return (path.map { "\($0): " } ?? "") + reason
        }
        return (error as? LocalizedError)?.errorDescription ?? "\(error)"
    }
}
