#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import SDP

/// libFuzzer target for the SDP parser and the audio negotiation: no crash,
/// and whatever parses must round-trip. Built with -DFUZZING by scripts/test;
/// a plain build gives a replayer that runs the files named on its command line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSDP(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let sdp = try? SDPParser.parse(text) else { return 0 }
    guard let again = try? SDPParser.parse(sdp.text), again.text == sdp.text else {
        fatalError("SDP did not round-trip")
    }
    if let agreed = try? AudioNegotiation.negotiate(sdp, codecs: [.opus, .pcmu, .pcma]) {
        var local = LocalAudioParameters(address: "127.0.0.1", port: 9, ssrc: 1, cname: "f", sessionID: "1")
        local.ice = ("abcd", "efghefghefghefghefghefgh")
        _ = try? SDPParser.parse(AudioNegotiation.answer(sdp, agreed: agreed, local: local).text)
    }
    return 0
}

@main
enum Main {
    static func main() throws {
        #if FUZZING
        exit(runLibFuzzer { fuzzSDP($0, $1) })
        #else
        for path in CommandLine.arguments.dropFirst() {
            let bytes = try readFile(path)
            _ = bytes.withUnsafeBufferPointer { fuzzSDP($0.baseAddress!, $0.count) }
        }
        #endif
    }
}
