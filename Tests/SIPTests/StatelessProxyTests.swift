@testable import SIP
import Testing

/// The embedded server's proxy: relays only to registered contacts, keeps a
/// stable branch for retransmissions and the CANCEL, and routes responses
/// back by its Via.
@Suite struct StatelessProxyTests {
    let proxy = StatelessProxy(host: "127.0.0.1", port: 5060, domain: "example.com", localUsers: ["echo"])
    let registrar = Registrar()

    func message(_ text: String) -> SIPMessage {
        try! SIPParser.parse(Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8), framing: .datagram).message
    }

    func request(_ method: SIPMethod, to uri: String, branch: String = "z9hG4bKa1", hops: Int = 70, toTag: String = "") -> SIPRequest {
        guard case .request(let r) = message("""
            \(method) \(uri) SIP/2.0
            Via: SIP/2.0/UDP 127.0.0.1:6000;branch=\(branch);rport=6000;received=127.0.0.1
            Max-Forwards: \(hops)
            From: <sip:1001@example.com>;tag=f1
            To: <\(uri)>\(toTag)
            Call-ID: c1
            CSeq: 1 \(method)
            Contact: <sip:1001@127.0.0.1:6000>
            Content-Length: 0


            """) else { fatalError() }
        return r
    }

    func register(_ user: String, contact: String) {
        guard case .request(let r) = message("""
            REGISTER sip:example.com SIP/2.0
            Via: SIP/2.0/UDP 127.0.0.1:7000;branch=z9hG4bKr\(user)
            Max-Forwards: 70
            From: <sip:\(user)@example.com>;tag=r1
            To: <sip:\(user)@example.com>
            Call-ID: reg-\(user)
            CSeq: 1 REGISTER
            Contact: <\(contact)>
            Content-Length: 0


            """) else { fatalError() }
        #expect(registrar.register(r, from: SIPPeer(.udp, host: "127.0.0.1", port: 7000), now: 0, toTag: "t").statusCode == 200)
    }

    @Test func forwardsToTheRegisteredContactWithItsOwnVia() throws {
        register("1002", contact: "sip:1002@127.0.0.1:7000")
        guard case .forward(let out, let peer) = proxy.route(request("INVITE", to: "sip:1002@example.com"), registrar: registrar, now: 1) else { Issue.record("not forwarded"); return }
        #expect(peer == SIPPeer(.udp, host: "127.0.0.1", port: 7000))
        #expect(out.uri.description == "sip:1002@127.0.0.1:7000")
        #expect(out.headers["Max-Forwards"] == "69")
        let vias = out.headers.values("Via")
        #expect(vias.count == 2)
        #expect(try Via(parsing: vias[0]).branch!.hasPrefix(StatelessProxy.branchPrefix))
        // The same request again (a retransmission), and its CANCEL, get the same branch.
        guard case .forward(let again, _) = proxy.route(request("INVITE", to: "sip:1002@example.com"), registrar: registrar, now: 2),
              case .forward(let cancel, _) = proxy.route(request("CANCEL", to: "sip:1002@example.com"), registrar: registrar, now: 2) else { Issue.record("unexpected decision"); return }
        #expect(again.headers.values("Via")[0] == vias[0])
        #expect(cancel.headers.values("Via")[0] == vias[0])
    }

    @Test func inDialogRequestsReachRegisteredContactsOnly() {
        register("1002", contact: "sip:1002@127.0.0.1:7000")
        if case .forward = proxy.route(request("BYE", to: "sip:1002@127.0.0.1:7000", toTag: ";tag=x"), registrar: registrar, now: 1) {} else { Issue.record("BYE to a registered contact not relayed") }
        #expect(proxy.route(request("BYE", to: "sip:victim@192.0.2.9:5060", toTag: ";tag=x"), registrar: registrar, now: 1) == .reject(.forbidden, reason: "Not Relaying"))
        #expect(proxy.route(request("INVITE", to: "sip:4711@example.com"), registrar: registrar, now: 1) == .reject(.notFound))
        #expect(proxy.route(request("ACK", to: "sip:4711@example.com"), registrar: registrar, now: 1) == .drop)
    }

    @Test func itsOwnNumbersAndRegistrationsAreLocal() {
        #expect(proxy.route(request("INVITE", to: "sip:echo@example.com"), registrar: registrar, now: 0) == .local)
        #expect(proxy.route(request("OPTIONS", to: "sip:127.0.0.1:5060"), registrar: registrar, now: 0) == .local)
        #expect(proxy.route(request("REGISTER", to: "sip:example.com"), registrar: registrar, now: 0) == .local)
    }

    @Test func loopsEndAtMaxForwards() {
        register("1002", contact: "sip:1002@127.0.0.1:7000")
        #expect(proxy.route(request("INVITE", to: "sip:1002@example.com", hops: 0), registrar: registrar, now: 1) == .reject(.tooManyHops))
    }

    @Test func responsesGoBackWithoutItsVia() throws {
        let mine = "SIP/2.0/UDP 127.0.0.1:5060;branch=\(StatelessProxy.branchPrefix)abc"
        guard case .response(let r) = message("""
            SIP/2.0 180 Ringing
            Via: \(mine)
            Via: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bKa1;rport=6000
            From: <sip:1001@example.com>;tag=f1
            To: <sip:1002@example.com>;tag=t2
            Call-ID: c1
            CSeq: 1 INVITE
            Content-Length: 0


            """) else { Issue.record("unexpected decision"); return }
        let back = try #require(proxy.route(r))
        #expect(back.headers.values("Via") == ["SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bKa1;rport=6000"])
        var notMine = r
        notMine.headers.remove("Via")
        notMine.headers.add("Via", "SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bKa1")
        #expect(proxy.route(notMine) == nil)
    }
}
