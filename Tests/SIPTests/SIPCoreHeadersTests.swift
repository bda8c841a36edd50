import SIP
import Testing

/// The core fields are parsed as they enter a message and follow its changes.
@Suite struct SIPCoreHeadersTests {
    private func request(_ lines: [String]) throws -> SIPRequest {
        let text = "OPTIONS sip:bob@example.com SIP/2.0\r\n" + lines.map { $0 + "\r\n" }.joined() + "Content-Length: 0\r\n\r\n"
        guard case .request(let r) = try SIPParser.parse(Array(text.utf8), framing: .datagram).message else {
            throw Failure.notARequest
        }
        return r
    }

    enum Failure: Error { case notARequest }

    @Test func parsedOffTheWireAndFollowingChanges() throws {
        var r = try request([
            "v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com;branch=z9hG4bK2",
            "Via: SIP/2.0/UDP c.example.com;branch=z9hG4bK3",
            "f: <sip:alice@example.com>;tag=a1", "t: Bob <sip:bob@example.com>", "i: x@y", "CSeq: 7 OPTIONS",
            "m: <sip:alice@192.0.2.1:5070>",
        ])
        #expect(r.headers.topVia?.host == "a.example.com" && r.headers.topVia?.branch == "z9hG4bK1")
        #expect(r.headers.from?.tag == "a1" && r.headers.to?.tag == nil && r.headers.to?.displayName == "Bob")
        #expect(r.headers.cseq == CSeq(number: 7, method: .options) && r.headers.callID == "x@y")
        #expect(r.headers.contact?.uri.port == 5070)

        r.headers.set("To", "Bob <sip:bob@example.com>;tag=b2")
        r.headers.prepend("Via", "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp")
        #expect(r.headers.to?.tag == "b2" && r.headers.topVia?.host == "proxy.example.com")
        r.headers.replaceTopVia(with: "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp;received=192.0.2.7")
        #expect(r.headers.topVia?.parameters.value("received") == "192.0.2.7" && r.headers.values("Via").count == 4)
        r.headers.remove("Contact")
        #expect(r.headers.contact == nil && r.headers.core.contact == nil)
    }

    /// An unreadable field is kept with its error: the request checks answer with it, nothing reads a value.
    @Test func anUnreadableFieldKeepsItsError() throws {
        let r = try request(["Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1", "From: <sip:alice@example.com;tag=a",
                             "To: <sip:bob@example.com>", "Call-ID: x", "CSeq: 1 OPTIONS", "Contact: *"])
        #expect(r.headers.from == nil)
        guard case .failure(let error)? = r.headers.core.from else { Issue.record("no error kept"); return }
        #expect(RequestValidator().validate(r)?.reason == error.reason)
        #expect(r.headers.contact == nil && r.headers.core.contact != nil)   // `*` is no address
    }

    /// As many Via lines as a message may have: the top one is the first line's.
    @Test func manyViaLinesKeepTheFirst() throws {
        let vias = (0..<250).map { "Via: SIP/2.0/UDP h\($0).example.com;branch=z9hG4bK\($0)" }
        let r = try request(vias + ["From: <sip:a@example.com>;tag=1", "To: <sip:b@example.com>", "Call-ID: x",
                                    "CSeq: 1 OPTIONS"])
        #expect(r.headers.topVia?.host == "h0.example.com")
    }
}
