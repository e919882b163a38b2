#if canImport(Glibc)
import Glibc
#endif

/// The C allocator's settings for a process that passes large frames between threads.
public enum MemoryArenas {
    /// Keeps glibc's malloc to one arena. By default it gives threads arenas of their own (up to 8 per core), and a
    /// frame freed by another thread than the one that made it stays in that arena. Measured on `lerar run`
    /// (24 × 2048², 2 cores, frames in memory): peak RSS median 592 MiB (577–593, 5 runs) with the default arenas,
    /// 559 MiB (551–639, 14 runs) with one, same wall time. Call before any thread starts.
    public static func useOne() {
        #if canImport(Glibc)
        // Glibc's module map leaves out <malloc.h>: mallopt is looked up, M_ARENA_MAX is its value there (-8).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(-8, 1)
        #endif
    }
}
