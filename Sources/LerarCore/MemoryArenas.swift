#if canImport(Glibc)
import Glibc
#endif

/// The C allocator's settings for a process that passes large frames between threads.
public enum MemoryArenas {
    /// Keeps glibc's malloc to one arena. By default it gives each thread an arena of its own (up to 8 per core), and
    /// a frame freed by another thread than the one that made it stays in that arena, so peak RSS wanders by ±40 MB
    /// from run to run and lands above the budget. Measured on `lerar run` (24 × 2048², 2 cores): 590–640 MB with the
    /// default arenas, 564–572 MB with one, same wall time. Call before any thread starts.
    public static func useOne() {
        #if canImport(Glibc)
        // Glibc's module map leaves out <malloc.h>: mallopt is looked up, M_ARENA_MAX is its value there (-8).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(-8, 1)
        #endif
    }
}
