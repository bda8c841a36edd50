import SIP
import Testing

private let udp = SIPPeer(.udp, host: "192.0.2.7", port: 5060)
private let tcp = SIPPeer(.tcp, host: "192.0.2.7", port: 5060)

private func request(_ method: SIPMethod, branch: String = "z9hG4bK-abc", cseq: Int = 1, toTag: String? = nil) -> SIPRequest {
    SIPRequest(method: method, uri: try! SIPURI(parsing: "sip:bob@example.com"), headers: SIPHeaders([
        ("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=\(branch)"), ("Max-Forwards", "70"),
        ("From", "<sip:alice@example.com>;tag=a1"), ("To", "<sip:bob@example.com>" + (toTag.map { ";tag=\($0)" } ?? "")),
        ("Call-ID", "call-1"), ("CSeq", "\(cseq) \(method)"),
    ]))
}

private func response(_ code: Int, to r: SIPRequest) -> SIPResponse {
    TransactionLayer.response(to: r, SIPStatus(code), reason: "X", toTag: "b1")
}

/// Runs the layer's timer from `from` to `until` (µs), returning when each output happened.
private func run(_ layer: TransactionLayer, from: UInt64 = 0, until: UInt64) -> [(UInt64, TransactionLayer.Output)] {
    var now = from
    var out: [(UInt64, TransactionLayer.Output)] = []
    while let next = layer.nextTimeout, next <= until {
        now = max(now, next)
        out += layer.poll(now: now).map { (now, $0) }
    }
    return out
}

private func sends(_ outs: [(UInt64, TransactionLayer.Output)]) -> [UInt64] {
    outs.compactMap { if case .send = $0.1 { return $0.0 } else { return nil } }
}

@Suite struct TransactionTests {
    @Test func aFailedConnectionIsA503AtOnceOrUDPForARequestMovedThereForItsSize() {
        let layer = TransactionLayer()
        let invite = request("INVITE")
        let (key, _) = layer.send(invite, to: tcp, now: 0)
        #expect(layer.transportFailed(request("ACK"), now: 1_000).isEmpty)
        #expect(layer.transportFailed(invite, now: 1_000) ==
                [.response(TransactionLayer.response(to: invite, .serviceUnavailable), key: key)])
        #expect(layer.count == 0 && layer.transportFailed(invite, now: 2_000).isEmpty)
        // Sent over TCP only for its size: over UDP instead, and retransmitted there by timer A.
        let overUDP = request("INVITE", branch: "z9hG4bK-big")
        var overTCP = overUDP
        overTCP.headers.remove("Via")
        overTCP.headers.prepend("Via", "SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-big")
        let (big, _) = layer.send(overTCP, to: tcp, udpFallback: (overUDP, udp), now: 0)
        #expect(layer.transportFailed(overTCP, now: 2_000_000) == [.send(.request(overUDP), to: udp)])
        #expect(sends(run(layer, from: 2_000_000, until: 4_000_000)) == [2_500_000, 3_500_000])
        #expect(layer.receive(.response(response(200, to: overUDP)), from: udp, now: 4_000_000) ==
                [.response(response(200, to: overUDP), key: big)])
    }

    @Test func inviteClientRetransmitsByTimerAThenTimesOutByTimerB() {
        let layer = TransactionLayer()
        let (key, first) = layer.send(request("INVITE"), to: udp, now: 0)
        #expect(first.count == 1)
        let outs = run(layer, until: 40_000_000)
        #expect(sends(outs) == [500_000, 1_500_000, 3_500_000, 7_500_000, 15_500_000, 31_500_000])
        #expect(outs.last.map { $0.1 == .timeout(key: key, peer: udp) && $0.0 == 32_000_000 } == true)
        #expect(layer.count == 0)
    }

    @Test func provisionalStopsRetransmissionAndFailureIsAcknowledged() throws {
        let layer = TransactionLayer()
        let invite = request("INVITE")
        let (key, _) = layer.send(invite, to: udp, now: 0)
        #expect(layer.receive(.response(response(180, to: invite)), from: udp, now: 100_000) ==
                [.response(response(180, to: invite), key: key)])
        #expect(run(layer, until: 120_000_000).isEmpty)                    // ringing: no timer A, no timer B
        let busy = layer.receive(.response(response(486, to: invite)), from: udp, now: 130_000_000)
        guard case .send(.request(let ack), _) = busy.first else { Issue.record("no ACK"); return }
        #expect(ack.method == "ACK" && ack.headers["CSeq"] == "1 ACK" && ack.headers["To"]!.contains("tag=b1"))
        #expect(ack.headers["Via"] == invite.headers["Via"])              // same branch as the INVITE
        // The 486 again (our ACK was lost): ACK again, nothing new for the TU.
        #expect(layer.receive(.response(response(486, to: invite)), from: udp, now: 131_000_000).count == 1)
        _ = run(layer, from: 131_000_000, until: 200_000_000)              // timer D
        #expect(layer.count == 0)
    }

    @Test func retransmitted2xxReachesTheUACoreRFC6026() {
        let layer = TransactionLayer()
        let invite = request("INVITE")
        let (key, _) = layer.send(invite, to: udp, now: 0)
        let ok = response(200, to: invite)
        #expect(layer.receive(.response(ok), from: udp, now: 10) == [.response(ok, key: key)])
        #expect(layer.receive(.response(ok), from: udp, now: 20) == [.response(ok, key: key)])
        _ = run(layer, until: 33_000_000)                                   // timer M
        #expect(layer.receive(.response(ok), from: udp, now: 40_000_000) == [.stray(.response(ok), from: udp)])
    }

    @Test func nonInviteClientUsesTimerECappedAtT2AndTimerF() {
        let layer = TransactionLayer()
        let (key, _) = layer.send(request("REGISTER"), to: udp, now: 0)
        let outs = run(layer, until: 40_000_000)
        #expect(sends(outs) == [500_000, 1_500_000, 3_500_000, 7_500_000, 11_500_000, 15_500_000, 19_500_000,
                                23_500_000, 27_500_000, 31_500_000])
        #expect(outs.last.map { $0.1 == .timeout(key: key, peer: udp) } == true)
    }

    @Test func reliableTransportsDoNotRetransmit() {
        let layer = TransactionLayer()
        _ = layer.send(request("OPTIONS"), to: tcp, now: 0)
        let outs = run(layer, until: 40_000_000)
        #expect(sends(outs).isEmpty && outs.count == 1) // just timer F
    }

    @Test func inviteServerSendsTryingRetransmitsFailureUntilACK() {
        let layer = TransactionLayer()
        let invite = request("INVITE")
        let first = layer.receive(.request(invite), from: udp, now: 0)
        guard case .send(.response(let trying), _) = first.first, case .request(_, _, let key) = first.last else {
            Issue.record("expected 100 Trying and the request"); return
        }
        #expect(trying.statusCode == 100)
        // A retransmitted INVITE gets the last response again and does not reach the TU.
        #expect(layer.receive(.request(invite), from: udp, now: 400_000) == [.send(.response(trying), to: udp)])
        let busy = response(486, to: invite)
        #expect(layer.respond(key, busy, now: 1_000_000) == [.send(.response(busy), to: udp)])
        let outs = run(layer, from: 1_000_000, until: 9_000_000)
        #expect(sends(outs) == [1_500_000, 2_500_000, 4_500_000, 8_500_000]) // timer G
        #expect(layer.receive(.request(request("ACK", toTag: "b1")), from: udp, now: 9_100_000).isEmpty)
        #expect(run(layer, from: 9_100_000, until: 20_000_000).isEmpty)     // no more G, no H; timer I ends it
        #expect(layer.count == 0)
    }

    @Test func inviteServerTimesOutWithoutACKByTimerH() {
        let layer = TransactionLayer()
        let invite = request("INVITE")
        guard case .request(_, _, let key) = layer.receive(.request(invite), from: udp, now: 0).last else { return }
        _ = layer.respond(key, response(603, to: invite), now: 0)
        #expect(run(layer, until: 40_000_000).last.map { $0.1 == .timeout(key: key, peer: udp) && $0.0 == 32_000_000 } == true)
    }

    @Test func nonInviteServerAnswersRetransmissionsUntilTimerJ() {
        let layer = TransactionLayer()
        let options = request("OPTIONS")
        guard case .request(_, _, let key) = layer.receive(.request(options), from: udp, now: 0).last else { return }
        #expect(layer.receive(.request(options), from: udp, now: 10).isEmpty)   // no response yet: absorbed
        let ok = response(200, to: options)
        _ = layer.respond(key, ok, now: 20)
        #expect(layer.receive(.request(options), from: udp, now: 30) == [.send(.response(ok), to: udp)])
        _ = run(layer, until: 40_000_000)
        #expect(layer.count == 0)
    }

    @Test func matchesRFC2543RequestsWithoutTheMagicCookie() {
        let layer = TransactionLayer()
        let invite = request("INVITE", branch: "old-style-1")
        guard case .request(_, _, let key) = layer.receive(.request(invite), from: udp, now: 0).last else { return }
        _ = layer.respond(key, response(404, to: invite), now: 0)
        #expect(layer.receive(.request(request("ACK", branch: "old-style-1", toTag: "b1")), from: udp, now: 1).isEmpty)
        #expect(run(layer, until: 2_000_000).isEmpty)                        // the ACK stopped timer G
    }

    @Test func aCancelFindsItsInvite() {
        let layer = TransactionLayer()
        let invite = request("INVITE")
        guard case .request(_, _, let key) = layer.receive(.request(invite), from: udp, now: 0).last else { return }
        let cancel = request("CANCEL")
        #expect(layer.inviteKey(cancelledBy: cancel) == key)
        _ = layer.respond(key, response(487, to: invite), now: 0)
        #expect(layer.inviteKey(cancelledBy: cancel) == nil)                 // too late once answered
    }

    @Test func strayACKAndResponsesGoToTheUACore() {
        let layer = TransactionLayer()
        let ack = request("ACK", toTag: "b1")
        #expect(layer.receive(.request(ack), from: udp, now: 0) == [.stray(.request(ack), from: udp)])
    }
}

@Suite struct SessionTimerTests {
    private func invite(sessionExpires: String?, supported: Bool) -> SIPRequest {
        var h = SIPHeaders([("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKst"), ("From", "<sip:a@x>;tag=f"),
                            ("To", "<sip:echo@y>"), ("Call-ID", "st-1"), ("CSeq", "1 INVITE"),
                            ("Contact", "<sip:a@192.0.2.1>")])
        if let sessionExpires { h.add("Session-Expires", sessionExpires) }
        if supported { h.add("Supported", "timer, replaces") }
        return SIPRequest(method: "INVITE", uri: try! SIPURI(parsing: "sip:echo@y"), headers: h)
    }

    @Test func acceptsRefreshesAndExpiresSessionsRFC4028() throws {
        let offered = InviteServerCore.sessionTimer(for: invite(sessionExpires: "1800;refresher=uac", supported: true))
        #expect(offered.interval == 1800 && offered.headers.map(\.0) == ["Session-Expires", "Require"])
        #expect(offered.headers[0].1 == "1800;refresher=uac")
        let brief = InviteServerCore.sessionTimer(for: invite(sessionExpires: "30", supported: true))
        #expect(brief.tooBrief && brief.headers.first?.1 == "90")                 // 422 with Min-SE
        #expect(InviteServerCore.sessionTimer(for: invite(sessionExpires: "1800", supported: false)).interval == nil)

        let core = InviteServerCore()
        let dialog = try #require(core.open(invite(sessionExpires: "90", supported: true),
                                            from: SIPPeer(.udp, host: "192.0.2.1", port: 5060), localTag: "t"))
        core.runSessionTimer(dialog.id, seconds: 90, now: 0)
        #expect(core.poll(now: 59_000_000).isEmpty)
        core.runSessionTimer(dialog.id, seconds: 90, now: 50_000_000)           // a refresh re-INVITE
        #expect(core.poll(now: 100_000_000).isEmpty)
        #expect(core.poll(now: 110_000_000) == [.sessionExpired(dialogID: dialog.id)]) // 50 + 90 - 30
    }
}

/// Overload: new calls beyond the admitted rate, and any new request once the
/// table is full, get a stateless 503 with Retry-After; the rest goes on.
@Suite struct OverloadTests {
    private func invite(_ n: Int, toTag: String? = nil) -> SIPRequest {
        var h = SIPHeaders()
        h.add("Via", "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK\(n)")
        h.add("From", "<sip:a@192.0.2.9>;tag=f\(n)")
        h.add("To", "<sip:echo@127.0.0.1>" + (toTag.map { ";tag=\($0)" } ?? ""))
        h.add("Call-ID", "c\(n)")
        h.add("CSeq", "1 INVITE")
        return SIPRequest(method: "INVITE", uri: SIPURI(user: "echo", host: "127.0.0.1"), headers: h)
    }

    private let peer = SIPPeer(.udp, host: "192.0.2.9", port: 5060)

    private func refusal(_ out: [TransactionLayer.Output]) -> (Int, String?, String)? {
        guard case .send(.response(let r), _)? = out.first, case .refused(let reason)? = out.last else { return nil }
        return (r.statusCode, r.headers["Retry-After"], reason)
    }

    @Test func newCallsBeyondTheRateAreRefusedAndTheBucketRefills() {
        let layer = TransactionLayer(callAdmission: CallAdmission(perSecond: 3, retryAfter: 7))
        for n in 0..<3 { #expect(refusal(layer.receive(.request(invite(n)), from: peer, now: 0)) == nil) }
        let shed = refusal(layer.receive(.request(invite(3)), from: peer, now: 0))
        #expect(shed?.0 == 503 && shed?.1 == "7" && shed?.2 == "sip-call-rate")
        #expect(layer.count == 3)                                                   // no transaction for it
        // In-dialog requests (a re-INVITE) and other methods are not new calls.
        #expect(refusal(layer.receive(.request(invite(4, toTag: "x")), from: peer, now: 0)) == nil)
        #expect(refusal(layer.receive(.request(invite(5)), from: peer, now: 333_334)) == nil)   // a third of a second: one token
        #expect(refusal(layer.receive(.request(invite(6)), from: peer, now: 333_334)) != nil)
        #expect(refusal(layer.receive(.request(invite(7)), from: peer, now: UInt64.max)) == nil) // refills, no overflow
    }

    @Test func aFullTableRefusesNewRequestsButAnswersRetransmissions() {
        let layer = TransactionLayer(maxTransactions: 2)
        _ = layer.receive(.request(invite(0)), from: peer, now: 0)
        _ = layer.receive(.request(invite(1)), from: peer, now: 0)
        #expect(refusal(layer.receive(.request(invite(2)), from: peer, now: 0))?.2 == "sip-transactions-full")
        let again = layer.receive(.request(invite(0)), from: peer, now: 1)          // a retransmission: its 100 again
        guard case .send(.response(let trying), _)? = again.first else { Issue.record("no answer"); return }
        #expect(trying.statusCode == 100)
    }
}
