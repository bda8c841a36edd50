import GatewayCore
import SIP
import SignalingProtocol
import Testing

/// Two browsers on one gateway call each other through the SIP server: the
/// INVITE the model places for one comes back (proxied) for the other, so two
/// calls share one Call-ID and are told apart by their tags.
@Suite struct BrowserToBrowserFlowTests {
    typealias H = CallModelHarness

    /// What a stateful proxy does to a request on its way: its own Via on top, the target as Request-URI.
    private func proxied(_ r: SIPRequest, to uri: String) throws -> (SIPRequest, TransactionKey) {
        var request = r
        request.uri = try SIPURI(parsing: uri)
        request.headers.prepend("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-proxy-\(r.method)")
        return (request, try #require(TransactionKey.server(for: request)))
    }

    /// A response on its way back through the proxy: the proxy's Via removed.
    private func unproxied(_ response: SIPResponse) -> SIPResponse {
        var r = response
        let vias = Array(r.headers.all("Via").dropFirst())
        r.headers.remove("Via")
        for via in vias { r.headers.add("Via", via) }
        return r
    }

    @Test func callsAnswersAndTheCalleeHangsUp() throws {
        let h = H()
        let alice = try h.signIn("1001")
        let bob = try h.signIn("1002")
        h.send(alice, "a1", .place(to: "1002", sdp: H.browserOffer))
        h.openBrowserLegs(h.take())
        let placed = try #require(h.placed(h.take()))

        let (invite, key) = try proxied(placed.invite, to: "sip:1002@192.0.2.2:5070")
        #expect(h.model.incomingInvite(invite, key: key, from: H.server, now: h.now))
        let ringing = h.take()
        guard case .incoming(let bobCall, let from, _, _, _) = try #require(h.events(ringing, bob).first) else {
            Issue.record("bob's browser should ring")
            return
        }
        #expect(from == "1001")
        let ringResponse = try #require(h.responses(ringing).first)
        _ = placed.handle(unproxied(ringResponse), now: h.now)
        h.model.placedCallChanged(placed, response: unproxied(ringResponse), now: h.now)
        #expect(h.events(h.take(), alice) == [.progress(call: "a1", code: 180, reason: "Ringing", earlyMedia: false)])

        h.send(bob, bobCall, .answer(sdp: H.browserOffer))
        h.openBrowserLegs(h.take())
        let answering = h.take()
        let ok = try #require(h.responses(answering).first)
        #expect(h.events(answering, bob).last == .answered(call: bobCall))
        _ = placed.handle(unproxied(ok), now: h.now)
        h.model.placedCallChanged(placed, response: unproxied(ok), now: h.now)
        let aliceAnswered = h.take()
        #expect(h.events(aliceAnswered, alice) == [.answered(call: "a1")])
        // Each SIP side points at the other's SIP media port: the gateway bridges its own two legs.
        #expect(h.sipSides(aliceAnswered).first?.remotePort == 40002)

        h.send(bob, bobCall, .hangup)
        let (bye, _) = try #require(h.inDialogRequests(h.take()).first)
        let (byeAtAlice, byeKey) = try proxied(bye, to: "sip:1001@192.0.2.2:5070")
        #expect(h.model.inDialog(byeAtAlice, key: byeKey, now: h.now))
        let out = h.take()
        #expect(h.responses(out).map(\.statusCode) == [200] && h.ended(out, alice)?.cause == .hangup)
        #expect(h.model.callCount == 0)
    }
}
