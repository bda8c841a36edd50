import FuzzDTLS
import FuzzHTTP
import FuzzSDP
import FuzzSIP
import FuzzSignaling
import FuzzSTUN
import FuzzSupport

/// One executable for every Swift fuzz target (one build instead of one per
/// target): the target is the name it is run by (`fuzz_sdp`, `fuzz_http`, ...,
/// links to it), as libFuzzer's C targets are named.
typealias FuzzTarget = @convention(c) (UnsafePointer<UInt8>, Int) -> Int32

let targets: [String: FuzzTarget] = [
    "fuzz_sdp": { fuzzSDP($0, $1) }, "fuzz_stun": { fuzzSTUN($0, $1) }, "fuzz_dtls": { fuzzDTLS($0, $1) },
    "fuzz_sip": { fuzzSIP($0, $1) }, "fuzz_signaling": { fuzzSignaling($0, $1) }, "fuzz_http": { fuzzHTTP($0, $1) },
]

/// The target this process runs: chosen by its name before libFuzzer starts.
nonisolated(unsafe) var chosen: FuzzTarget?

/// libFuzzer's entry point, for the runtime that looks it up by name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChosen(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 { chosen?(data, size) ?? 0 }

@main
enum Main {
    static func main() throws {
        let name = String(CommandLine.arguments.first?.split(separator: "/").last ?? "")
        guard let target = targets[name] else {
            print("run me as one of \(targets.keys.sorted().joined(separator: ", ")) (a link to this file)")
            return
        }
        chosen = target
        try fuzzMain(target)
    }
}
