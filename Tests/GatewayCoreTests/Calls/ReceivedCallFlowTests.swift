import GatewayCore
import SDP
import SIP
import SignalingProtocol
import Testing

/// SIP -> browser through the call model, on a fake clock.
@Suite struct ReceivedCallFlowTests {
    typealias H = CallModelHarness

    /// An INVITE for a signed-in 1001 rings its browser.
    private func ringing(_ h: H, sdp: [UInt8] = H.sipSDP(), takesOffers: Bool = false, headers: [String] = [])
        throws -> (session: String, call: String, invite: SIPRequest, tag: String) {
        let session = try h.signIn("1001", takesOffers: takesOffers)
        let (invite, key) = try H.request("INVITE", sdp: sdp, headers: headers)
        #expect(h.model.incomingInvite(invite, key: key, from: H.server, now: h.now))
        let out = h.take()
        let ringing = try #require(h.responses(out).first)
        #expect(ringing.statusCode == 180 && ringing.headers["Contact"] == "<sip:1001@192.0.2.2:5070>")
        guard case .incoming(let call, let from, let name, _, _) = try #require(h.events(out, session).first) else {
            throw Failure.notIncoming
        }
        #expect(from == "2000" && name == "Ann \"A\" Lee")   // unquoted, unescaped
        return (session, call, invite, try #require(H.toTag(ringing)))
    }

    enum Failure: Error { case notIncoming }

    /// A request from the SIP side in the dialog of an incoming call.
    private func inDialog(_ h: H, _ method: String, tag: String, cseq: Int, sdp: [UInt8] = [], headers: [String] = [])
        throws -> [CallModel.Output] {
        let (r, key) = try H.request(method, toTag: tag, cseq: cseq, branch: "z9hG4bK-\(method)-\(cseq)", sdp: sdp,
                                     headers: headers)
        #expect(h.model.inDialog(r, key: key, now: h.now))
        return h.take()
    }

    @Test func answeredByTheBrowserThenTheFarEndHangsUp() throws {
        let h = H()
        let (session, call, _, tag) = try ringing(h)
        h.send(session, call, .answer(sdp: H.browserOffer))
        let opening = h.take()
        #expect(h.responses(opening).isEmpty)    // the 200 waits for the browser leg
        h.openBrowserLegs(opening)
        let out = h.take()
        let ok = try #require(h.responses(out).first)
        #expect(ok.statusCode == 200 && String(decoding: ok.body, as: UTF8.self).contains("m=audio 40000 RTP/AVP 0"))
        #expect(h.sipSides(out).first?.remotePort == 30000)
        #expect(h.events(out, session) == [.sdp(call: call, sdp: H.browserAnswer), .answered(call: call)])
        // Our 2xx is sent again (T1, then doubling) until the ACK; then no more.
        h.advance(500_000)
        #expect(h.take().compactMap { if case .resend(let r, _) = $0 { r.statusCode } else { nil } } == [200])
        let (ack, _) = try H.request("ACK", toTag: tag)
        #expect(h.model.acknowledged(ack, now: h.now))
        h.advance(4_000_000)
        #expect(!h.take().contains { if case .resend = $0 { true } else { false } })
        #expect(h.model.dialogCount == 1)

        let bye = try inDialog(h, "BYE", tag: tag, cseq: 2)
        #expect(h.responses(bye).map(\.statusCode) == [200] && h.ended(bye, session)?.cause == .hangup)
        #expect(h.model.dialogCount == 0 && h.model.callCount == 0)
    }

    /// A client that answers offers (the Genesys one) gets our offer with the ring: ICE-lite, DTLS actpass, the
    /// SIP side's codec first, at the advertised address, with the INVITE's attached data. Its answer opens the leg
    /// on the offered port and no `sdp` event goes back; the 200 answers the SIP offer. Unanswered, the port is
    /// given back; a client that offers itself gets no offer.
    @Test func aClientThatAnswersOffersGetsOursAndItsAnswerOpensTheLeg() throws {
        let fingerprint = Fingerprint(algorithm: "sha-256", value: H.fingerprint)
        let h = H { $0.browserOffers = .init(address: "203.0.113.5", fingerprint: fingerprint) }
        let session = try h.signIn("1001", takesOffers: true)
        var (invite, key) = try H.request("INVITE", sdp: H.sipSDP())
        invite.headers.add("X-Genesys-Account", "42")
        invite.headers.add("x-genesys-Queue", "sales")
        invite.headers.add("X-Genesys-Long", String(repeating: "x", count: 300))     // over the bound: left out
        #expect(h.model.incomingInvite(invite, key: key, from: H.server, now: h.now))
        guard case .incoming(let call, _, _, let data, let offer?)? = h.events(h.take(), session).first else {
            throw Failure.notIncoming
        }
        #expect(data == ["Account": "42", "Queue": "sales"])
        #expect(offer.contains("a=ice-lite") && offer.contains("a=setup:actpass") && offer.contains("c=IN IP4 203.0.113.5"))
        #expect(offer.contains("m=audio 41000 UDP/TLS/RTP/SAVPF 0 8 111") && offer.contains("a=fingerprint:sha-256 \(H.fingerprint)"))

        let answer = H.browserOffer.replacingOccurrences(of: "a=setup:actpass", with: "a=setup:active")
            .replacingOccurrences(of: "SAVPF 111 0", with: "SAVPF 0")
        h.send(session, call, .answer(sdp: answer))
        let opening = h.take()
        var opened = 0
        for case .openBrowserLeg(_, .answer(let theirs, let ours), _, let direction) in opening {
            opened += 1
            #expect(ours.local.port == 41000 && theirs.text.contains("a=setup:active") && direction == .sendrecv)
        }
        #expect(opened == 1)
        h.openBrowserLegs(opening)
        let up = h.take()
        #expect(h.events(up, session) == [.answered(call: call)])      // the browser has our offer: no `sdp` back
        #expect(h.responses(up).map(\.statusCode) == [200])
        #expect(h.ports.singlesTaken == [41000])                        // the leg's now: the shell gives it back

        let h2 = H { $0.browserOffers = .init(address: "203.0.113.5", fingerprint: fingerprint) }
        let (s2, _, invite2, _) = try ringing(h2, takesOffers: true)
        #expect(h2.ports.singlesTaken == [41000])
        #expect(h2.model.cancelled(inviteKey: try #require(TransactionKey.server(for: invite2)), now: h2.now))
        #expect(h2.ended(h2.take(), s2)?.cause == .cancelled && h2.ports.singlesTaken.isEmpty)

        let h3 = H { $0.browserOffers = .init(address: "203.0.113.5", fingerprint: fingerprint) }
        let s3 = try h3.signIn("1001")
        let (invite3, key3) = try H.request("INVITE", sdp: H.sipSDP())
        #expect(h3.model.incomingInvite(invite3, key: key3, from: H.server, now: h3.now))
        guard case .incoming(_, _, _, _, nil)? = h3.events(h3.take(), s3).first else { throw Failure.notIncoming }
        #expect(h3.ports.singlesTaken.isEmpty)
    }

    @Test func cancelledByTheCaller() throws {
        let h = H()
        let (session, _, invite, _) = try ringing(h)
        let key = try #require(TransactionKey.server(for: invite))
        #expect(h.model.cancelled(inviteKey: key, now: h.now))
        let out = h.take()
        #expect(h.responses(out).map(\.statusCode) == [487] && h.ended(out, session)?.cause == .cancelled)
        #expect(!h.model.cancelled(inviteKey: key, now: h.now))   // a second CANCEL is not ours any more
    }

    @Test func rejectedOrLeftByTheBrowser() throws {
        let h = H()
        let (session, call, _, _) = try ringing(h)
        h.send(session, call, .reject)
        let out = h.take()
        #expect(h.responses(out).map(\.statusCode) == [603] && h.ended(out, session)?.cause == .rejected)

        let h3 = H()
        let (s3, _, _, _) = try ringing(h3)
        h3.model.close(s3, reason: "WebSocket closed", now: h3.now)
        let left = h3.take()
        #expect(h3.responses(left).map(\.statusCode) == [480])
        #expect(left.contains { if case .unregister(user: "1001") = $0 { true } else { false } })
        #expect(left.contains { if case .sessionEnded(s3, closeTransport: false) = $0 { true } else { false } })
    }

    @Test func theRingTimeoutAnswers480() throws {
        let h = H { $0.ringTimeout = 20 * H.second }
        let (session, _, _, _) = try ringing(h)
        h.advance(20 * H.second)
        let out = h.take()
        #expect(h.responses(out).map { "\($0.statusCode) \($0.reason)" } == ["480 No Answer"])
        #expect(h.ended(out, session)?.cause == .timeout)
    }

    @Test func nobodySignedInOrNoPortsOrATooSecureOffer() throws {
        let h = H()
        let (invite, key) = try H.request("INVITE", to: "1002", sdp: H.sipSDP())
        #expect(!h.model.incomingInvite(invite, key: key, from: H.server, now: h.now))   // the user agent answers 480/404

        let busy = H(pairs: 0)
        _ = try busy.signIn("1001")
        let (i2, k2) = try H.request("INVITE", sdp: H.sipSDP())
        #expect(busy.model.incomingInvite(i2, key: k2, from: H.server, now: busy.now))
        #expect(busy.responses(busy.take()).map(\.statusCode) == [503])

        let dtls = H()
        _ = try dtls.signIn("1001")
        var sdp = String(decoding: H.sipSDP(), as: UTF8.self).replacingOccurrences(of: "RTP/AVP", with: "UDP/TLS/RTP/SAVP")
        sdp += "a=fingerprint:sha-256 \(Array(repeating: "AB", count: 32).joined(separator: ":"))\r\na=setup:actpass\r\n"
        let (i3, k3) = try H.request("INVITE", sdp: Array(sdp.utf8))
        #expect(dtls.model.incomingInvite(i3, key: k3, from: H.server, now: dtls.now))
        #expect(dtls.responses(dtls.take()).map(\.statusCode) == [488])
    }

    @Test func aDelayedOfferIsAnsweredInTheACK() throws {
        let h = H()
        let (session, call, _, tag) = try ringing(h, sdp: [])
        h.send(session, call, .answer(sdp: H.browserOffer))
        let opening = h.take()
        #expect(opening.contains { if case .openBrowserLeg(_, _, _, .inactive) = $0 { true } else { false } })
        h.openBrowserLegs(opening)
        let out = h.take()
        let ok = try #require(h.responses(out).first)
        #expect(ok.statusCode == 200 && String(decoding: ok.body, as: UTF8.self).contains("a=sendrecv"))
        #expect(h.model.call(call)?.phase == .awaitingAnswerInACK && !h.events(out, session).contains(.answered(call: call)))

        let (ack, _) = try H.request("ACK", toTag: tag, sdp: H.sipSDP(port: 32000))
        #expect(h.model.acknowledged(ack, now: h.now))
        let acked = h.take()
        #expect(h.sipSides(acked).first?.remotePort == 32000 && h.events(acked, session) == [.answered(call: call)])
    }

    @Test func anACKWithoutTheAnswerToOurOfferHangsUp() throws {
        let h = H()
        let (session, call, _, tag) = try ringing(h, sdp: [])
        h.send(session, call, .answer(sdp: H.browserOffer))
        h.openBrowserLegs(h.take())
        h.take()
        let (ack, _) = try H.request("ACK", toTag: tag)
        #expect(h.model.acknowledged(ack, now: h.now))
        let out = h.take()
        #expect(h.inDialogRequests(out).map(\.0.method) == [.bye] && h.ended(out, session)?.cause == .notAcceptable)
    }

    /// An answered incoming call, its legs set.
    private func answered(_ h: H) throws -> (session: String, call: String, tag: String) {
        let (session, call, _, tag) = try ringing(h)
        h.send(session, call, .answer(sdp: H.browserOffer))
        h.openBrowserLegs(h.take())
        h.take()
        return (session, call, tag)
    }

    @Test func holdAndResumeFromTheSIPSide() throws {
        let h = H()
        let (session, call, tag) = try answered(h)
        let hold = try inDialog(h, "INVITE", tag: tag, cseq: 2, sdp: H.sipSDP(direction: "sendonly", version: 2))
        let ok = try #require(h.responses(hold).first)
        #expect(ok.statusCode == 200 && String(decoding: ok.body, as: UTF8.self).contains("a=recvonly"))
        #expect(h.sipSides(hold).first?.direction == .recvonly && h.events(hold, session) == [.held(call: call, by: .remote)])
        let resume = try inDialog(h, "INVITE", tag: tag, cseq: 3, sdp: H.sipSDP(version: 3))
        #expect(h.events(resume, session) == [.resumed(call: call, by: .remote)])
    }

    @Test func aReinviteWithANewPortAndCodecMovesTheSIPSide() throws {
        let h = H()
        let (session, _, tag) = try answered(h)
        let sdp = String(decoding: H.sipSDP(port: 34000, version: 2), as: UTF8.self)
            .replacingOccurrences(of: "RTP/AVP 0 101", with: "RTP/AVP 8 101").replacingOccurrences(of: "0 PCMU", with: "8 PCMA")
        let moved = try inDialog(h, "INVITE", tag: tag, cseq: 2, sdp: Array(sdp.utf8))
        let side = try #require(h.sipSides(moved).first)
        #expect(side.remotePort == 34000 && side.leg.codec == .pcma && h.responses(moved).first?.statusCode == 200)
        #expect(h.events(moved, session).isEmpty)
        let refused = try inDialog(h, "INVITE", tag: tag, cseq: 3, sdp: Array("v=0\r\n".utf8))
        #expect(h.responses(refused).map(\.statusCode) == [488])
    }

    @Test func holdFromTheBrowserWithGlareAndTheACKOfOurReinvite() throws {
        let h = H()
        let (session, call, tag) = try answered(h)
        h.send(session, call, .hold)
        let (reinvite, id) = try #require(h.inDialogRequests(h.take()).first)
        let cseq = try #require(reinvite.headers.cseq)
        #expect(reinvite.method == .invite && cseq.method == .invite)
        #expect(reinvite.uri.description == "sip:2000@192.0.2.9:5080")
        // Their re-INVITE crosses ours: 491 (RFC 3261 §14.2).
        let glare = try inDialog(h, "INVITE", tag: tag, cseq: 2, sdp: H.sipSDP(version: 2))
        #expect(h.responses(glare).map(\.statusCode) == [491])
        h.model.requestAnswered(id, response: H.response(200, to: reinvite, sdp: H.sipSDP(direction: "recvonly", version: 3)),
                                now: h.now)
        let out = h.take()
        let ack = try #require(out.lazy.compactMap { if case .write(let r, _) = $0 { r } else { nil } }.first)
        #expect(ack.method == .ack && ack.headers["CSeq"] == "\(cseq.number) ACK")
        #expect(h.events(out, session) == [.held(call: call, by: .local)])
    }

    /// The browser re-offers on its peer connection to hold (inactive) and resume: each offer is answered at once
    /// from our answer, and the hold goes to the SIP side.
    @Test func theBrowserHoldsAndResumesByReoffering() throws {
        let h = H()
        let (session, call, _) = try answered(h)
        h.send(session, call, .reoffer(sdp: H.browserReoffer("inactive")))
        let held = h.take()
        guard case .sdp(_, let answer)? = h.events(held, session).first else { throw Failure.notIncoming }
        #expect(answer.contains("a=inactive") && !answer.contains("a=sendrecv") && answer.contains("o=- 77 2 IN IP4"))
        let (reinvite, id) = try #require(h.inDialogRequests(held).first)
        #expect(String(decoding: reinvite.body, as: UTF8.self).contains("a=sendonly"))
        h.model.requestAnswered(id, response: H.response(200, to: reinvite, sdp: H.sipSDP(direction: "recvonly", version: 2)),
                                now: h.now)
        #expect(h.model.call(call)?.hold?.byBrowser == true)
        h.take()
        h.send(session, call, .reoffer(sdp: H.browserReoffer("sendrecv")))
        let resumed = h.take()
        guard case .sdp(_, let again)? = h.events(resumed, session).first else { throw Failure.notIncoming }
        #expect(again.contains("a=sendrecv") && again.contains("o=- 77 3 IN IP4"))
        #expect(h.inDialogRequests(resumed).map { String(decoding: $0.0.body, as: UTF8.self).contains("a=sendrecv") } == [true])

    }

    /// The Genesys client on Firefox makes a new peer connection per offer: it closes the old one (its DTLS
    /// close_notify, which alone would be a hang-up after the grace) and offers from the new one. A new browser
    /// leg opens, is set to the SIP side as the old one was, and its offer's hold goes to the SIP side.
    @Test func anOfferOnANewPeerConnectionReplacesTheBrowserLeg() throws {
        let h = H()
        let (session, call, _) = try answered(h)
        h.model.browserLegEnded(call: call, .closedByBrowser, now: h.now)
        h.take()
        h.advance(1_000_000)
        h.send(session, call, .reoffer(sdp: H.browserReoffer("sendrecv", ufrag: "wxyz")))
        let opening = h.take()
        var opened = 0
        for case .openBrowserLeg(let id, let offer, let sipSide, let direction) in opening {
            opened += 1
            #expect(id == call && offer.browsers.text.contains("a=ice-ufrag:wxyz") && direction == .sendrecv)
            #expect(sipSide.payloadType == 0)
        }
        #expect(opened == 1 && h.inDialogRequests(opening).isEmpty && h.events(opening, session).isEmpty)
        h.openBrowserLegs(opening)
        let replaced = h.take()
        guard case .sdp(_, let answer)? = h.events(replaced, session).first else { throw Failure.notIncoming }
        #expect(answer.contains("a=ice-ufrag:gw01"))
        #expect(h.sipSides(replaced).map(\.remotePort) == [30000])
        h.advance(5_000_000)           // past the grace the old connection's close started: no hang-up
        #expect(h.ended(h.take(), session) == nil && h.model.call(call)?.isUp == true)

        // A hold offered on yet another connection: a new leg again, then the hold goes to the SIP side.
        h.send(session, call, .reoffer(sdp: H.browserReoffer("inactive", ufrag: "pqrs")))
        h.openBrowserLegs(h.take())
        let held = h.take()
        #expect(h.inDialogRequests(held).map { String(decoding: $0.0.body, as: UTF8.self).contains("a=sendonly") } == [true])

        // A new leg that cannot open ends the call with a BYE.
        h.model.browserLegFailed(call: call, reason: "offer not acceptable", now: h.now)
        let failed = h.take()
        #expect(h.ended(failed, session)?.cause == .notAcceptable)
        #expect(h.inDialogRequests(failed).map { $0.0.method } .contains(.bye))
    }

    /// When the SIP side holds, the browser is told; its re-offer to go inactive mirrors that hold: no re-INVITE back.
    @Test func aReofferMirroringTheSIPSidesHoldSendsNothingToIt() throws {
        let h = H()
        let (session, call, tag) = try answered(h)
        _ = try inDialog(h, "INVITE", tag: tag, cseq: 2, sdp: H.sipSDP(direction: "sendonly", version: 2))
        h.send(session, call, .reoffer(sdp: H.browserReoffer("inactive")))
        let out = h.take()
        #expect(h.inDialogRequests(out).isEmpty && h.events(out, session).count == 1)
    }

    @Test func dtmfAndInfoBothWays() throws {
        let h = H { $0.dtmfInfo = true }
        let (session, call, tag) = try answered(h)
        var (info, key) = try H.request("INFO", toTag: tag, cseq: 2)
        info.headers.set("Content-Type", "application/dtmf-relay")
        info.body = Array("Signal=5\r\nDuration=160\r\n".utf8)
        #expect(h.model.inDialog(info, key: key, now: h.now))
        #expect(h.events(h.take(), session) == [.dtmf(call: call, digit: "5")])

        h.send(session, call, .dtmf(digits: "1#"))
        #expect(h.inDialogRequests(h.take()).map { String(decoding: $0.0.body, as: UTF8.self) }
            == ["Signal=1\r\nDuration=160\r\n", "Signal=#\r\nDuration=160\r\n"])
        h.send(session, call, .info(content: ["a": .string("1"), "b": .string("x y&z")], map: true))
        let form = try #require(h.inDialogRequests(h.take()).first?.0)
        #expect(form.headers["Content-Type"] == "application/x-www-form-urlencoded" && form.body == Array("a=1&b=x+y%26z".utf8))
    }

    /// RFC 4028 as the UAS: the caller that supports timers refreshes; each refresh (re-INVITE or UPDATE) runs
    /// the timer again; without one the call ends with a BYE a little before the interval is over.
    @Test func theCallersSessionTimerIsRefreshedAndThenExpires() throws {
        let h = H()
        let timer = ["Supported: timer", "Session-Expires: 120"]
        let (session, call, _, tag) = try ringing(h, headers: timer)
        h.send(session, call, .answer(sdp: H.browserOffer))
        h.openBrowserLegs(h.take())
        let ok = try #require(h.responses(h.take()).first)
        #expect(ok.headers["Session-Expires"] == "120;refresher=uac" && ok.headers["Require"] == "timer")
        let (ack, _) = try H.request("ACK", toTag: tag)
        #expect(h.model.acknowledged(ack, now: h.now))

        h.advance(70 * H.second)   // refreshed before the BYE is due (at 120 - 32 s)
        let update = try inDialog(h, "UPDATE", tag: tag, cseq: 2, headers: timer)
        #expect(h.responses(update).first?.headers["Session-Expires"] == "120;refresher=uac")
        h.advance(70 * H.second)
        let reinvite = try inDialog(h, "INVITE", tag: tag, cseq: 3, sdp: H.sipSDP(version: 2), headers: timer)
        #expect(h.responses(reinvite).first?.headers["Session-Expires"] == "120;refresher=uac")
        #expect(h.model.acknowledged(try H.request("ACK", toTag: tag, cseq: 3).0, now: h.now))
        h.advance(70 * H.second)
        #expect(h.ended(h.take(), session) == nil && h.model.callCount == 1)

        h.advance(20 * H.second)   // 90 s since the last refresh: no more
        let out = h.take()
        #expect(h.inDialogRequests(out).map(\.0.method) == [.bye] && h.ended(out, session)?.cause == .failed)
        #expect(h.model.dialogCount == 0)
    }

    /// A session interval below our Min-SE gets 422 with it (RFC 4028 §8.1); a caller without timers gets none.
    @Test func aTooBriefSessionIntervalIsRefusedAndNoTimerRunsWithoutOne() throws {
        let h = H()
        let session = try h.signIn("1001")
        let (brief, key) = try H.request("INVITE", sdp: H.sipSDP(), headers: ["Supported: timer", "Session-Expires: 30"])
        #expect(h.model.incomingInvite(brief, key: key, from: H.server, now: h.now))
        let refused = try #require(h.responses(h.take()).first)
        #expect(refused.statusCode == 422 && refused.headers["Min-SE"] == "90" && h.model.callCount == 0)

        h.model.receive(.signOut, from: session, now: h.now)
        let plain = H()
        let (s2, c2, _, t2) = try ringing(plain)
        plain.send(s2, c2, .answer(sdp: H.browserOffer))
        plain.openBrowserLegs(plain.take())
        let ok = try #require(plain.responses(plain.take()).first)
        #expect(ok.headers["Session-Expires"] == nil)
        let (ack, _) = try H.request("ACK", toTag: t2)
        #expect(plain.model.acknowledged(ack, now: plain.now))
        plain.advance(3_600 * H.second)
        #expect(plain.ended(plain.take(), s2) == nil && plain.model.callCount == 1)
    }

    /// No ACK for our 2xx within 64*T1 (§13.3.1.4): the call ends with a BYE.
    @Test func noACKForOur2xxHangsUp() throws {
        let h = H()
        let (session, call, _, _) = try ringing(h)
        h.send(session, call, .answer(sdp: H.browserOffer))
        h.openBrowserLegs(h.take())
        h.take()
        var resent = 0, ended: (code: Int, cause: EndCause)?
        for _ in 0..<70 where ended == nil {
            h.advance(500_000)
            let out = h.take()
            resent += out.filter { if case .resend = $0 { true } else { false } }.count
            if let e = h.ended(out, session) {
                ended = e
                #expect(h.inDialogRequests(out).map(\.0.method) == [.bye])
            }
        }
        #expect(ended?.cause == .failed && resent >= 7 && h.model.dialogCount == 0)
    }

    @Test func signingOutWithACallUpSaysByeAndUnregisters() throws {
        let h = H()
        let (session, _, _) = try answered(h)
        h.model.receive(.signOut, from: session, now: h.now)
        let out = h.take()
        #expect(h.events(out, session).first == .signedOut(reason: "signed out"))
        #expect(h.inDialogRequests(out).map(\.0.method) == [.bye] && h.ended(out, session)?.cause == .signedOut)
        #expect(out.contains { if case .unregister(user: "1001") = $0 { true } else { false } })
        #expect(out.contains { if case .sessionEnded(session, closeTransport: true) = $0 { true } else { false } })
        #expect(h.model.callCount == 0 && h.model.sessions.count == 0)
    }
}
