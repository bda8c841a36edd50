import SIP
import Testing

private let invite = """
INVITE sip:bob@biloxi.example.com SIP/2.0\r
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport\r
Max-Forwards: 70\r
To: Bob <sip:bob@biloxi.example.com>\r
From: "Alice A." <sip:alice@atlanta.example.com>;tag=1928301774\r
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r
CSeq: 314159 INVITE\r
Contact: <sip:alice@pc33.atlanta.example.com;transport=udp>;expires=60;q=0.5\r
Content-Type: application/sdp\r
Content-Length: 4\r
\r
v=0\n
"""

@Suite struct SIPParserTests {
    @Test func parsesAndRoundTripsAnInvite() throws {
        let (message, consumed) = try SIPParser.parse(Array(invite.utf8), framing: .datagram)
        #expect(consumed == invite.utf8.count)
        let (_, withTrailer) = try SIPParser.parse(Array((invite + "garbage").utf8), framing: .datagram)
        #expect(withTrailer == consumed) // bytes after Content-Length are ignored
        guard case .request(let r) = message else { Issue.record("not a request"); return }
        #expect(r.method == "INVITE" && r.uri.user == "bob" && r.uri.host == "biloxi.example.com")
        #expect(r.body == Array("v=0\n".utf8))
        let via = try Via(parsing: r.headers["v"]!)
        #expect(via.transport == "UDP" && via.branch == "z9hG4bK776asdhds" && via.parameters.value("rport") == "")
        let from = try NameAddress(parsing: r.headers["From"]!)
        #expect(from.displayName == "\"Alice A.\"" && from.tag == "1928301774")
        let contact = try NameAddress(parsing: r.headers["m"]!)
        #expect(contact.uri.parameters.value("transport") == "udp" && contact.parameters.value("expires") == "60")
        #expect(try CSeq(parsing: r.headers["CSeq"]!) == CSeq(number: 314159, method: "INVITE"))
        let (again, _) = try SIPParser.parse(message.bytes, framing: .stream)
        #expect(again == message)
    }

    @Test func framesAStreamByContentLength() throws {
        let two = Array((invite + "\r\n" + invite).utf8) // with a keep-alive CRLF between
        let (_, first) = try SIPParser.parse(two, framing: .stream)
        let (second, _) = try SIPParser.parse(Array(two[first...]), framing: .stream)
        guard case .request = second else { Issue.record("second message lost"); return }
        #expect(throws: SIPParseError.incomplete) { try SIPParser.parse(Array(two.prefix(100)), framing: .stream) }
        #expect(throws: SIPParseError.incomplete) { try SIPParser.parse(Array(two.prefix(first - 2)), framing: .stream) }
        let noLength = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\n\r\n"
        #expect(throws: SIPParseError.badContentLength("missing on a stream transport")) {
            try SIPParser.parse(Array(noLength.utf8), framing: .stream)
        }
    }

    @Test func splitsMultiValueHeadersOutsideQuotesAndBrackets() throws {
        let text = "SIP/2.0 200 OK\r\nContact: \"a, b\" <sip:a@x>, <sip:b@y;p=1,2>;q=1\r\nv: SIP/2.0/UDP h1, SIP/2.0/TCP h2\r\nVia: SIP/2.0/UDP h3\r\n\r\n"
        let (message, _) = try SIPParser.parse(Array(text.utf8), framing: .datagram)
        #expect(message.headers.values("Contact").count == 2)
        #expect(message.headers.values("Via").map { try! Via(parsing: $0).host } == ["h1", "h2", "h3"])
        guard case .response(let r) = message else { return }
        #expect(r.statusCode == 200 && r.reason == "OK")
    }

    @Test func enforcesLimits() {
        var limits = SIPParser.Limits()
        limits.headerCount = 5
        let many = "OPTIONS sip:a@b SIP/2.0\r\n" + String(repeating: "X-A: 1\r\n", count: 10) + "\r\n"
        #expect(throws: SIPParseError.self) { try SIPParser.parse(Array(many.utf8), framing: .datagram, limits: limits) }
        let huge = "OPTIONS sip:a@b SIP/2.0\r\nX: " + String(repeating: "a", count: 70_000) + "\r\n\r\n"
        #expect(throws: SIPParseError.self) { try SIPParser.parse(Array(huge.utf8), framing: .datagram) }
        #expect(throws: SIPParseError.incomplete) { try SIPParser.parse(Array("\r\n\r\n".utf8), framing: .stream) }
    }

    @Test(arguments: [
        "sip:alice@atlanta.com", "sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?subject=x&priority=urgent",
        "sip:+1-212-555-1212:1234@gateway.com;user=phone", "tel:+1-201-555-0123;phone-context=x", "urn:service:sos",
    ])
    func urisRoundTrip(text: String) throws {
        let uri = try SIPURI(parsing: text)
        #expect(uri.description == text)
    }

    @Test func uriParts() throws {
        let u = try SIPURI(parsing: "sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr")
        #expect(u.scheme == "sips" && u.user == "alice" && u.password == "secret" && u.host == "[2001:db8::1]")
        #expect(u.port == 5061 && u.parameters.value("transport") == "tcp" && u.parameters.has("lr"))
        #expect(throws: SIPParseError.self) { try SIPURI(parsing: "sip:a b@c") }
        #expect(throws: SIPParseError.self) { try SIPURI(parsing: "sip:a@host:99999") }
        #expect(throws: SIPParseError.self) { try SIPURI(parsing: "<sip:a@b>") }
    }
}
