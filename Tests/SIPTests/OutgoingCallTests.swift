import SIP
import Testing

/// The UAC call core on its own: answer, ACK, re-INVITE with a 491 retry, BYE.
@Suite struct OutgoingCallTests {
    private func counter() -> () -> String {
        var n = 0
        return { n += 1; return "t\(n)" }
    }

    private func reply(_ code: Int, to r: SIPRequest, tag: String = "far") -> SIPResponse {
        var response = TransactionLayer.response(to: r, SIPStatus(code), reason: "X", toTag: tag)
        if code < 300 { response.headers.add("Contact", "<sip:far@192.0.2.9:5070>") }
        return response
    }

    private func placed(credentials: DigestCredentials? = nil) throws -> OutgoingCall {
        OutgoingCall(settings: .init(from: try SIPURI(parsing: "sip:1001@example.com"), to: try SIPURI(parsing: "sip:2000@192.0.2.9"),
                                     contact: try SIPURI(parsing: "sip:1001@192.0.2.1:5060"), credentials: credentials,
                                     via: ("UDP", "192.0.2.1", 5060)),
                     offer: Array("v=0\r\n".utf8), token: counter())
    }

    @Test func answersAcksHoldsWithGlareRetryAndHangsUp() throws {
        let call = OutgoingCall(settings: .init(from: try SIPURI(parsing: "sip:1001@example.com"),
                                                to: try SIPURI(parsing: "sip:2000@192.0.2.9"),
                                                contact: try SIPURI(parsing: "sip:1001@192.0.2.1:5060"),
                                                credentials: nil, via: ("UDP", "192.0.2.1", 5060)),
                                offer: Array("v=0\r\n".utf8), token: counter())
        let invite = call.invite
        #expect(call.handle(reply(180, to: invite)).ackToWire == nil && call.state == .early(code: 180))
        let ok = reply(200, to: invite)
        let ack = try #require(call.handle(ok).ackToWire)
        #expect(ack.method == "ACK" && ack.uri.description == "sip:far@192.0.2.9:5070" && ack.headers["CSeq"] == "1 ACK")
        #expect(call.state == .confirmed)
        #expect(call.handle(ok).ackToWire == ack)              // a retransmitted 2xx: the same ACK again

        let hold = try #require(call.reinvite(offer: Array("a=sendonly".utf8)))
        #expect(hold.headers["CSeq"] == "2 INVITE" && call.reinvite(offer: []) == nil) // one at a time
        #expect(call.handle(reply(491, to: hold), now: 1_000_000).ackToWire == nil)
        let retryAt = try #require(call.retryAt)
        #expect(retryAt >= 3_100_000 && retryAt <= 5_000_000)  // 2.1 to 4 s later
        #expect(call.poll(now: retryAt - 1) == nil)
        let retry = try #require(call.poll(now: retryAt))
        #expect(retry.headers["CSeq"] == "3 INVITE" && retry.body == Array("a=sendonly".utf8))
        let retryAck = try #require(call.handle(reply(200, to: retry), now: retryAt + 1).ackToWire)
        #expect(retryAck.headers["CSeq"] == "3 ACK" && call.lastReinviteResult == 200)

        let bye = try #require(call.bye())
        #expect(bye.method == "BYE" && bye.headers["CSeq"] == "4 BYE" && bye.headers["To"]!.contains("tag=far"))
        if case .ended = call.state {} else { Issue.record("the call should be over") }
    }

    @Test func cancelsWhileRinging() throws {
        let call = OutgoingCall(settings: .init(from: try SIPURI(parsing: "sip:1001@example.com"),
                                                to: try SIPURI(parsing: "sip:2000@192.0.2.9"),
                                                contact: try SIPURI(parsing: "sip:1001@192.0.2.1"),
                                                credentials: nil, via: ("UDP", "192.0.2.1", 5060)),
                                offer: [], token: counter())
        _ = call.handle(reply(180, to: call.invite))
        let cancel = try #require(call.cancel())
        #expect(cancel.headers["Via"] == call.invite.headers["Via"] && cancel.headers["CSeq"] == "1 CANCEL")
        #expect(call.bye() == nil)
    }

    @Test func answersAChallengeToItsByeOnce() throws {
        let call = try placed(credentials: DigestCredentials(username: "1001", password: "secret"))
        _ = call.handle(reply(200, to: call.invite))
        let bye = try #require(call.bye())
        var challenge = reply(407, to: bye)
        challenge.headers.add("Proxy-Authenticate", #"Digest realm="example.com", nonce="n1", qop="auth", algorithm=MD5"#)
        let again = try #require(call.byeChallenged(challenge))
        #expect(again.method == "BYE" && again.headers["CSeq"] == "3 BYE")
        #expect(again.headers["Proxy-Authorization"]?.contains(#"username="1001""#) == true)
        #expect(call.byeChallenged(challenge) == nil)          // a second challenge: the password is wrong, stop
        #expect(call.byeChallenged(reply(200, to: again)) == nil)
    }

    @Test func largeRequestsGoOverTCP() throws {
        var request = SIPRequest(method: "INVITE", uri: try SIPURI(parsing: "sip:2000@192.0.2.9"))
        request.headers.add("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbig;rport")
        let udp = SIPPeer(.udp, host: "192.0.2.9", port: 5060)
        let (small, same) = TransportChoice.fitting(request, to: udp)
        #expect(same == udp && small == request)
        request.body = Array(repeating: UInt8(ascii: "a"), count: 1400)
        let (big, tcp) = TransportChoice.fitting(request, to: udp)
        #expect(tcp == SIPPeer(.tcp, host: "192.0.2.9", port: 5060))
        #expect(big.headers.values("Via") == ["SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKbig;rport"])
        #expect(big.body == request.body)
        // Its CANCEL, small as it is, takes the same way and the same Via (§9.1).
        var cancel = SIPRequest(method: "CANCEL", uri: request.uri)
        cancel.headers.add("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbig;rport")
        let (cancelSent, cancelPeer) = TransportChoice.fitting(cancel, to: udp, cancelling: request)
        #expect(cancelPeer == tcp && cancelSent.headers.values("Via") == big.headers.values("Via"))
        #expect(TransportChoice.fitting(cancel, to: udp).1 == udp)
    }

    @Test func retransmitsItsAnswerToTheFarEndsReinviteUntilTheAck() throws {
        let call = try placed()
        _ = call.handle(reply(200, to: call.invite))
        let dialog = try #require(call.dialog)
        // The far end's re-INVITE, as it would arrive: its tag in From, ours in To.
        var h = SIPHeaders()
        h.add("Via", "SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bKre")
        h.add("From", "<sip:2000@192.0.2.9>;tag=far")
        h.add("To", "<sip:1001@example.com>;tag=\(call.fromTag)")
        h.add("Call-ID", call.callID)
        h.add("CSeq", "7 INVITE")
        let reinvite = SIPRequest(method: "INVITE", uri: try SIPURI(parsing: "sip:1001@192.0.2.1:5060"), headers: h)
        #expect(dialog.matches(reinvite))
        let core = InviteServerCore()
        let peer = SIPPeer(.udp, host: "192.0.2.9", port: 5070)
        let ok = TransactionLayer.response(to: reinvite, .ok)
        core.sent2xx(ok, in: dialog, peer: peer, now: 0)
        #expect(core.poll(now: 499_999).isEmpty)
        #expect(core.poll(now: 500_000) == [.send(ok, to: peer)])       // T1 later, again
        var ack = reinvite
        ack.method = "ACK"
        ack.headers.set("CSeq", "7 ACK")
        #expect(core.ack(ack) && core.calls.isEmpty)                    // the ACK ends it, and the dialog is not kept
        core.sent2xx(ok, in: dialog, peer: peer, now: 0)
        #expect(core.poll(now: 64 * 500_000).contains(.ackTimeout(dialogID: dialog.id)))
    }

    @Test func aTwoHundredThatCrossesItsCancelIsAcknowledgedAndCanBeHungUp() throws {
        let call = try placed()
        _ = call.handle(reply(180, to: call.invite))
        _ = try #require(call.cancel())
        let ack = call.handle(reply(200, to: call.invite)).ackToWire   // the far end answered before the CANCEL arrived
        #expect(ack?.method == "ACK" && call.state == .confirmed)
        #expect(try #require(call.byeAfterCancel()).method == "BYE")  // so the caller ends it with a BYE (§9.1)
    }

    /// Only a cancelled call owes that BYE: an answered call is not ended by a 2xx.
    @Test func anAnsweredCallThatWasNotCancelledOwesNoBye() throws {
        let call = try placed()
        _ = call.handle(reply(200, to: call.invite))
        #expect(call.state == .confirmed && call.byeAfterCancel() == nil)
    }

    @Test func asksForSessionTimersAndRefreshesWhenItIsTheRefresher() throws {
        let call = try placed()
        #expect(call.invite.headers["Session-Expires"] == "1800" && call.invite.headers["Supported"] == "timer")
        var ok = reply(200, to: call.invite)
        ok.headers.add("Session-Expires", "90;refresher=uac")
        _ = call.handle(ok, now: 0)
        #expect(call.nextTimeout == 45_000_000)
        #expect(call.poll(now: 44_999_999) == nil)
        let update = try #require(call.poll(now: 45_000_000))
        #expect(update.method == "UPDATE" && update.headers["Session-Expires"] == "90;refresher=uac")
        call.refreshAnswered(reply(200, to: update), now: 46_000_000)
        #expect(call.nextTimeout == 91_000_000)
        #expect(call.state == .confirmed)
    }

    @Test func endsTheCallWhenTheFarEndStopsRefreshing() throws {
        let call = try placed()
        var ok = reply(200, to: call.invite)
        ok.headers.add("Session-Expires", "90;refresher=uas")
        _ = call.handle(ok, now: 0)
        #expect(call.poll(now: 59_000_000) == nil)
        call.peerRefreshed(now: 59_000_000)                  // its re-INVITE came: the interval starts again
        #expect(call.poll(now: 118_999_999) == nil)
        let bye = try #require(call.poll(now: 119_000_000))  // 90 s less the 30 s margin, and nothing came
        #expect(bye.method == "BYE" && call.state == .ended(code: 408, reason: "session expired without a refresh"))
    }

    @Test func asksAgainWithTheMinimumAfter422() throws {
        let call = try placed()
        var tooSmall = reply(422, to: call.invite)
        tooSmall.headers.add("Min-SE", "3600")
        let again = try #require(call.handle(tooSmall).invite)
        #expect(again.headers["Session-Expires"] == "3600" && again.headers["CSeq"] == "2 INVITE")
        #expect(call.handle(tooSmall).invite == nil)         // once only
    }
}
