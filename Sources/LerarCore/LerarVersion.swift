/// Version and name written into files' creator fields and HISTORY.
public enum LerarVersion {
    public static let string = "0.1.0"
    public static let application = "Lerar \(string)"
}
