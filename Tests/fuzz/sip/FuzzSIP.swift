#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import SIP

/// libFuzzer target for the SIP parser (both framings) and the request
/// checks: no crash, and serialising is idempotent after one parse.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSIP(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? SIPParser.parse(bytes, framing: .stream)
    guard let (message, _) = try? SIPParser.parse(bytes, framing: .datagram) else { return 0 }
    if case .request(let r) = message { _ = RequestValidator().validate(r) }
    for v in message.headers.values("Via") { _ = try? Via(parsing: v) }
    for name in ["From", "To", "Contact", "Route"] { for v in message.headers.values(name) { _ = try? NameAddress(parsing: v) } }
    let once = message.bytes
    guard let (again, _) = try? SIPParser.parse(once, framing: .stream), again.bytes == once else {
        fatalError("a parsed message did not survive serialise -> parse -> serialise")
    }
    return 0
}

@main
enum Main {
    static func main() throws {
        #if FUZZING
        exit(runLibFuzzer { fuzzSIP($0, $1) })
        #else
        for path in CommandLine.arguments.dropFirst() {
            let bytes = try readFile(path)
            _ = bytes.withUnsafeBufferPointer { fuzzSIP($0.baseAddress!, $0.count) }
        }
        #endif
    }
}
