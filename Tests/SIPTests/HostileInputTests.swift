import SIP
import Testing

/// Inputs that once ended the whole process, each at the level where it entered.
@Suite struct HostileInputTests {
    private func invite(uri: String, extra: [(String, String)] = []) -> [UInt8] {
        var text = "INVITE \(uri) SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK1\r\n"
        text += "From: <sip:a@192.0.2.9>;tag=1\r\nTo: <sip:echo@127.0.0.1>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContact: <sip:a@192.0.2.9>\r\n"
        for (name, value) in extra { text += "\(name): \(value)\r\n" }
        return Array((text + "Content-Length: 0\r\n\r\n").utf8)
    }

    /// A Request-URI `tel:;` indexed an empty split.
    @Test func telURIWithoutANumber() {
        #expect(throws: SIPParseError.self) { try SIPURI(parsing: "tel:;") }
        #expect(throws: SIPParseError.self) { try SIPParser.parse(invite(uri: "tel:;"), framing: .datagram) }
        #expect(throws: SIPParseError.self) { try SIPURI(parsing: "tel:;;;") }
        #expect((try? SIPURI(parsing: "tel:+1-201-555-0123;phone-context=x"))?.host == "+1-201-555-0123")
    }

    /// `Session-Expires: 100000000000000` overflowed converting seconds to microseconds.
    @Test func hugeSessionExpiresInAnInvite() throws {
        let (message, _) = try SIPParser.parse(invite(uri: "sip:echo@127.0.0.1",
                                                      extra: [("Session-Expires", "100000000000000"), ("Supported", "timer")]),
                                               framing: .datagram)
        guard case .request(let request) = message else { Issue.record("not a request"); return }
        let timer = InviteServerCore.sessionTimer(for: request)
        #expect(timer.interval == Int(UInt32.max) && !timer.tooBrief)
        let core = InviteServerCore()
        let peer = SIPPeer(.udp, host: "192.0.2.9", port: 5060)
        let dialog = try #require(core.open(request, from: peer, localTag: "us"))
        core.runSessionTimer(dialog.id, seconds: try #require(timer.interval), now: UInt64.max - 10)
        #expect(core.poll(now: UInt64.max - 1).isEmpty)
        // Negative or signed values are not numbers: no timer, no trap.
        var negative = request
        negative.headers.set("Session-Expires", "-5")
        #expect(InviteServerCore.sessionTimer(for: negative).interval == nil)
    }

    @Test func hugeSessionExpiresInTheTwoHundredToOurCall() throws {
        let call = OutgoingCall(settings: .init(from: try SIPURI(parsing: "sip:1001@example.com"),
                                                to: try SIPURI(parsing: "sip:2000@192.0.2.9"),
                                                contact: try SIPURI(parsing: "sip:1001@192.0.2.1:5060"), credentials: nil,
                                                via: ("UDP", "192.0.2.1", 5060)),
                                offer: Array("v=0\r\n".utf8), token: { "t" })
        var ok = TransactionLayer.response(to: call.invite, .ok, toTag: "far")
        ok.headers.add("Contact", "<sip:far@192.0.2.9:5070>")
        ok.headers.add("Session-Expires", "100000000000000;refresher=uac")
        _ = call.handle(ok, now: UInt64.max - 10)
        #expect(call.poll(now: UInt64.max - 1) == nil)
        var tooSmall = TransactionLayer.response(to: call.invite, .sessionIntervalTooSmall, reason: "X", toTag: "far")
        tooSmall.headers.add("Min-SE", "99999999999999999999999")
        _ = call.handle(tooSmall)
    }

    @Test func hugeAndNegativeExpiresAtTheRegistrar() throws {
        let registrar = Registrar()
        for expires in ["100000000000000", "-1", "99999999999999999999999999"] {
            var text = "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK2\r\n"
            text += "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: r\r\nCSeq: 1 REGISTER\r\n"
            text += "Contact: <sip:a@192.0.2.9>;expires=\(expires)\r\nExpires: \(expires)\r\nContent-Length: 0\r\n\r\n"
            let (message, _) = try SIPParser.parse(Array(text.utf8), framing: .datagram)
            guard case .request(let request) = message else { Issue.record("not a request"); return }
            let response = registrar.register(request, from: SIPPeer(.udp, host: "192.0.2.9", port: 5060),
                                              now: UInt64.max - 10, toTag: "t")
            #expect(response.statusCode < 500)
        }
    }
}

@Suite struct RegistrarContactTests {
    /// A binding is reached where its REGISTER came from, whatever host its
    /// Contact names: not another host, nor a TCP port of some server the
    /// proxy would then connect to. The Contact stays the Request-URI.
    @Test func registeredUsersAreReachedOnlyAtTheSourceOfTheirRegister() throws {
        let registrar = Registrar()
        let text = "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5072;branch=z9hG4bK3\r\n" +
            "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: r\r\nCSeq: 1 REGISTER\r\n" +
            "Contact: <sip:a@10.1.2.3:25;transport=tcp>\r\nContent-Length: 0\r\n\r\n"
        guard case .request(let register) = try SIPParser.parse(Array(text.utf8), framing: .datagram).message else { return }
        let source = SIPPeer(.udp, host: "127.0.0.1", port: 5072)
        #expect(registrar.register(register, from: source, now: 0, toTag: "t").statusCode == 200)
        let invite = "INVITE sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bK4\r\n" +
            "From: <sip:b@127.0.0.1>;tag=2\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: i\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n" +
            "Content-Length: 0\r\n\r\n"
        guard case .request(let request) = try SIPParser.parse(Array(invite.utf8), framing: .datagram).message else { return }
        let proxy = StatelessProxy(host: "127.0.0.1", port: 5060, domain: "127.0.0.1", localUsers: [])
        guard case .forward(let forwarded, let to) = proxy.route(request, registrar: registrar, now: 1) else {
            Issue.record("not forwarded")
            return
        }
        #expect(to == source)
        #expect(forwarded.uri.host == "10.1.2.3")
    }
}
