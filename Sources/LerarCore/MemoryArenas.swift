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
        _ = mallopt(-8, 1)   // M_ARENA_MAX
    }

    /// Glibc's own mmap threshold stops rising at 32 MiB: larger blocks are always fresh mappings.
    public static let glibcThresholdCeiling = 32 << 20

    /// Serves frames of `frameBytes` (bytes) from malloc's heap when they are larger than glibc's threshold ceiling or
    /// are not `held` in memory for the whole run, and lets the heap keep up to `keepBytes` (bytes) of freed memory at
    /// its top for the next frames.
    /// Each such frame was otherwise a new mapping whose pages the kernel zeroes on first touch and unmaps on free,
    /// paid again for every frame. `lerar run` on 24 × 4096² (64 MiB frames), 2 cores, alternating: wall 46.6, 48.9
    /// → 41.1, 43.1 s (system time 30–33 → 22 s), peak RSS 764–774 → 843–916 MiB; on 48 × 4096² 95.8 → 84.3 s,
    /// 791 → 885 MiB (the peak does not grow with the frames). Not for smaller frames held in memory: at 2048² (16 MiB,
    /// under the threshold glibc reaches) it only raised the peak, 525–533 → 540 MiB (stop 33, with the trim threshold
    /// below: wall 8.08, 6.35, 6.14 → 6.68, 6.10, 6.12 s, peak 503–512 → 504–519 MiB). Smaller frames that go
    /// through files are made and freed frame after frame as the large ones are, and gain as they do (stop 33,
    /// 2048², alternating, system time the steady measure): 96 lights, system 6.81, 6.10 → 4.07, 4.29 s, wall 20.41,
    /// 20.23 → 19.04, 19.59 s; 48 lights 2.92, 3.89 → 2.34, 2.54 s, 11.35, 12.72 → 11.25, 12.08 s; peak 323 → 316–324 MiB.
    ///
    /// A fixed threshold also fixes glibc's trim threshold at 128 KiB: every frame freed at the heap's top was given
    /// back to the kernel, and the next one faulted its pages in and had them zeroed again. Keeping the memory budget
    /// there (stop 33; 24 × 4096², alternating, system time the steady measure on this machine): system time 10.0,
    /// 9.5 s → 6.3, 6.3 s, wall 24.9, 23.1 → 21.5, 22.0 s, peak RSS 479 MiB either way; twice the frame threshold
    /// (glibc's own rule for its dynamic thresholds) kept only half of it: 8.1, 7.7 s.
    public static func serveFramesFromHeap(frameBytes: Int, keepBytes: Int, held: Bool) {
        guard frameBytes > glibcThresholdCeiling || (!held && frameBytes > 0) else { return }
        // A fixed threshold just above a frame (1 MiB to spare for the allocator's own header), at most 1 GiB.
        _ = mallopt(-3, Int32(min(frameBytes + (1 << 20), 1 << 30)))   // M_MMAP_THRESHOLD
        _ = mallopt(-1, Int32(min(max(keepBytes, 128 << 10), 1 << 30)))   // M_TRIM_THRESHOLD
    }

    /// Glibc's module map leaves out <malloc.h>: mallopt is looked up; its option values are the ones there.
    private static func mallopt(_ option: Int32, _ value: Int32) -> Int32 {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return 0 }
        return unsafeBitCast(symbol, to: Mallopt.self)(option, value)
        #else
        return 0
        #endif
    }
}
