#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import SignalingProtocol

/// libFuzzer target for what the long-poll routes read: the request target's
/// path and query (the input's first line) and the message syntax (the whole
/// input, as a POST body). No crash, and a parsed message survives
/// serialise -> parse unchanged.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSignaling(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let target = RequestTarget(parsing: String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self))
    if target.query.count > RequestTarget.maxQueryPairs { fatalError("the query's bound did not hold") }
    if let text = String(validating: bytes, as: UTF8.self) {
        _ = SignalingToken.isUser(text)
        _ = SignalingToken.isNumber(text)
        _ = SignalingToken.isDTMF(text)
    }
    guard let message = try? LongPollMessage(parsing: bytes) else { return 0 }
    guard let again = try? LongPollMessage(parsing: Array(message.text.utf8)), again.text == message.text else {
        fatalError("a parsed message did not survive serialise -> parse")
    }
    return 0
}

@main
enum Main {
    static func main() throws {
        #if FUZZING
        exit(runLibFuzzer { fuzzSignaling($0, $1) })
        #else
        for path in CommandLine.arguments.dropFirst() {
            let bytes = try readFile(path)
            _ = bytes.withUnsafeBufferPointer { fuzzSignaling($0.baseAddress!, $0.count) }
        }
        #endif
    }
}
