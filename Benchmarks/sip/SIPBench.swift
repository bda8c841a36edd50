import Foundation
import SIP

/// Messages parsed and serialised per second on one core, for a typical
/// INVITE (with SDP) and a 200 OK. Prints figures; asserts nothing.
///   swift run -c release sip-bench [iterations]
@main
enum SIPBench {
    static let invite = Array("""
        INVITE sip:2000@gw.example.com SIP/2.0\r
        Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---0a9d1b0e;rport\r
        Max-Forwards: 70\r
        Contact: <sip:1001@192.0.2.10:5060;transport=udp>\r
        To: <sip:2000@gw.example.com>\r
        From: "Alice" <sip:1001@gw.example.com>;tag=9f35a2b7\r
        Call-ID: NzQ5ODk4ZGE1ZjQ0OTdlMGI0NjcyZGU3ZTJmMzQ1MjI\r
        CSeq: 2 INVITE\r
        Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r
        Content-Type: application/sdp\r
        Supported: replaces, timer\r
        User-Agent: softphone 5.3\r
        Content-Length: 232\r
        \r
        v=0\r
        o=- 1700000000 1 IN IP4 192.0.2.10\r
        s=-\r
        c=IN IP4 192.0.2.10\r
        t=0 0\r
        m=audio 50000 RTP/AVP 0 8 101\r
        a=rtpmap:0 PCMU/8000\r
        a=rtpmap:8 PCMA/8000\r
        a=rtpmap:101 telephone-event/8000\r
        a=fmtp:101 0-16\r
        a=sendrecv\r
        a=ptime:20\r
        a=maxptime:150\r

        """.utf8)
    static let ok = Array("""
        SIP/2.0 200 OK\r
        Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---0a9d1b0e;rport=5060;received=192.0.2.10\r
        Record-Route: <sip:198.51.100.1;lr>\r
        Contact: <sip:2000@198.51.100.7:5060>\r
        To: <sip:2000@gw.example.com>;tag=as5e0c7d2\r
        From: "Alice" <sip:1001@gw.example.com>;tag=9f35a2b7\r
        Call-ID: NzQ5ODk4ZGE1ZjQ0OTdlMGI0NjcyZGU3ZTJmMzQ1MjI\r
        CSeq: 2 INVITE\r
        Server: pbx\r
        Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO\r
        Supported: replaces, timer\r
        Content-Length: 0\r
        \r

        """.utf8)

    /// Best of five rounds: the figure least disturbed by whatever else the machine does.
    static func measure(_ name: String, _ bytes: [UInt8], iterations: Int) {
        var sink = 0
        var seconds = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<iterations {
                let (m, _) = try! SIPParser.parse(bytes, framing: .datagram)
                sink &+= m.bytes.count
            }
            seconds = min(seconds, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        sink /= 5
        print(String(format: "%-10@ parse+serialise: %9.0f messages/s (%.2f us each, %d bytes)", name as NSString,
                     Double(iterations) / seconds, seconds / Double(iterations) * 1e6, sink / iterations))
    }

    static func main() {
        let n = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 200_000
        measure("INVITE", invite, iterations: n)
        measure("200 OK", ok, iterations: n)
    }
}
