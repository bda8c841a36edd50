#if canImport(Glibc)
import Glibc
#endif

/// What every Swift fuzz target needs: reading corpus files without
/// Foundation (kept out of the fuzzed binaries), and handing over to libFuzzer.

/// Reads a corpus file.
public func readFile(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else { return [] }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n <= 0 { break }
        out += chunk.prefix(n)
    }
    return out
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

/// Hands control to libFuzzer (SwiftPM owns `main`, so libFuzzer's is not used).
public func runLibFuzzer(_ body: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32 {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    return withUnsafeMutablePointer(to: &argv) { LLVMFuzzerRunDriver(&argc, $0, body) }
}
#endif

/// A fuzz target's whole `main`: built for libFuzzer (-DFUZZING) it hands
/// over to libFuzzer; otherwise it runs the target once on each file named on
/// the command line (to replay an input).
public func fuzzMain(_ body: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) throws {
    #if FUZZING
    exit(runLibFuzzer(body))
    #else
    for path in CommandLine.arguments.dropFirst() {
        let bytes = try readFile(path)
        let storage = bytes + [0]   // a valid pointer even for an empty file
        _ = storage.withUnsafeBufferPointer { body($0.baseAddress!, bytes.count) }
    }
    #endif
}
