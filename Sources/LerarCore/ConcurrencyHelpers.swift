import Foundation

/// The first error raised by concurrent work (later ones are dropped).
public final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var error: Error?

    public init() {}

    /// The recorded error, if any.
    public var first: Error? { lock.withLock { error } }
    /// Whether an error was recorded (to stop starting new work).
    public var failed: Bool { first != nil }

    public func record(_ newError: Error) { lock.withLock { if error == nil { error = newError } } }
}

/// A counter shared by concurrent work, for progress reports.
public final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    public init() {}

    /// Increments and returns the new count.
    public func next() -> Int { lock.withLock { value += 1; return value } }

    /// Adds `amount` to the count.
    public func add(_ amount: Int) { lock.withLock { value += amount } }

    /// The count so far.
    public var count: Int { lock.withLock { value } }
}
