#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import STUN

/// libFuzzer target for the STUN decoder, with and without an integrity key:
/// no crash, and a message that decodes must survive encode -> decode.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSTUN(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? STUNCoder.decode(bytes, integrityKey: Array("password".utf8))
    guard let m = try? STUNCoder.decode(bytes) else { return 0 }
    _ = (m.username, m.priority, m.errorCode, m.xorMappedAddress, m.unknownRequiredAttributes)
    let encoded = STUNCoder.encode(m, integrityKey: Array("k".utf8))
    guard let back = try? STUNCoder.decode(encoded, integrityKey: Array("k".utf8)), back == m else {
        fatalError("STUN did not round-trip")
    }
    return 0
}

@main
enum Main {
    static func main() throws {
        #if FUZZING
        exit(runLibFuzzer { fuzzSTUN($0, $1) })
        #else
        for path in CommandLine.arguments.dropFirst() {
            let bytes = try readFile(path)
            _ = bytes.withUnsafeBufferPointer { fuzzSTUN($0.baseAddress!, $0.count) }
        }
        #endif
    }
}
