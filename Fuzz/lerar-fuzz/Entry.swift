import Foundation
import LerarIO

// Built two ways. Normally (`swift build`): a replay tool, `lerar-fuzz TARGET FILE|FOLDER...`, that runs every input
// through the target once and reports how many it ran. With `-sanitize=fuzzer -DLERAR_LIBFUZZER` (`make fuzz`):
// a libFuzzer binary for the target named by LERAR_FUZZ_TARGET.

#if LERAR_LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

nonisolated(unsafe) let fuzzTarget = ProcessInfo.processInfo.environment["LERAR_FUZZ_TARGET"] ?? ""

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.run(fuzzTarget, UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

// SwiftPM links an executable's entry point as `<module>_main`; hand control to libFuzzer's driver from there.
@_cdecl("lerar_fuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    guard FuzzTargets.names.contains(fuzzTarget) else {
        FileHandle.standardError.write(Data("set LERAR_FUZZ_TARGET to one of \(FuzzTargets.names.joined(separator: ", "))\n".utf8))
        return 2
    }
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzzOne)
}
#else
@main
struct FuzzReplay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let target = arguments.first, FuzzTargets.names.contains(target) else {
            print("usage: lerar-fuzz TARGET FILE|FOLDER...  (targets: \(FuzzTargets.names.joined(separator: ", ")))")
            exit(2)
        }
        var inputs = 0
        for root in arguments.dropFirst() {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder) else { continue }
            let files = isFolder.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted().map { (root as NSString).appendingPathComponent($0) }
                : [root]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                data.withUnsafeBytes { _ = FuzzTargets.run(target, $0) }
                inputs += 1
            }
        }
        print("\(target): \(inputs) inputs replayed, none crashed")
    }
}
#endif
