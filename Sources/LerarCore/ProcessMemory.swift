#if canImport(Glibc)
import Glibc
#endif

/// The process's own memory use, for the run's stage table and the frames-in-flight limit.
public enum ProcessMemory {
    /// Peak resident set size of this process so far, bytes (getrusage's ru_maxrss; 0 where unknown).
    public static var peakResidentBytes: Int {
        #if canImport(Glibc)
        var usage = rusage()
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) * 1024  // Linux reports KiB.
        #else
        return 0
        #endif
    }
}
