/// Why a finishing process could not run; the message names the process and the cause.
public enum PostProcessingError: Error, CustomStringConvertible, Equatable {
    case sizeMismatch(String)
    case insufficientData(String)
    case invalidInput(String)

    public var description: String {
        switch self {
        case .sizeMismatch(let message): "images of different sizes: \(message)"
        case .insufficientData(let message): "not enough data: \(message)"
        case .invalidInput(let message): "invalid input: \(message)"
        }
    }
}
