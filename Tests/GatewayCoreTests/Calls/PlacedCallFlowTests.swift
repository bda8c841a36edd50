import GatewayCore
import SIP
import SignalingProtocol
import Testing

/// Browser -> SIP through the call model, on a fake clock.
@Suite struct PlacedCallFlowTests {
    typealias H = CallModelHarness

    /// A signed-in 1001 whose browser placed call "c1" to 2000; its leg is open and the INVITE is out.
    private func calling(_ h: H) throws -> (session: String, placed: OutgoingCall) {
        let session = try h.signIn("1001")
        h.send(session, "c1", .place(to: "2000", sdp: H.browserOffer))
        let opening = h.take()
        #expect(opening.contains { if case .openSIPMedia("c1", _) = $0 { true } else { false } })
        #expect(opening.contains { if case .openBrowserLeg("c1", _, _, .sendrecv) = $0 { true } else { false } })
        #expect(h.placed(opening) == nil)   // the INVITE waits for the browser leg
        h.openBrowserLegs(opening)
        let out = h.take()
        #expect(h.events(out, session).first == .sdp(call: "c1", sdp: H.browserAnswer))
        let placed = try #require(h.placed(out))
        #expect(placed.invite.uri.description == "sip:2000@gw.test")
        #expect(placed.invite.headers["Contact"] == "<sip:1001@192.0.2.2:5070>")
        #expect(String(decoding: placed.invite.body, as: UTF8.self).contains("m=audio 40000 RTP/AVP 0 8"))
        return (session, placed)
    }

    /// The call of `calling`, answered with a PCMU SDP, the browser asking to hold it: the re-INVITE that went.
    private func holding(_ h: H) throws -> (session: String, placed: OutgoingCall, hold: SIPRequest) {
        let (session, placed) = try calling(h)
        h.answerPlaced(placed, 200, sdp: H.sipSDP())
        h.take()
        h.send(session, "c1", .hold)
        return (session, placed, try #require(h.placedRequests(h.take()).first))
    }

    @Test func ringsAnswersAndTheBrowserHangsUp() throws {
        let h = H()
        let (session, placed) = try calling(h)
        h.answerPlaced(placed, 180)
        #expect(h.events(h.take(), session) == [.progress(call: "c1", code: 180, reason: "Ringing", earlyMedia: false)])

        h.answerPlaced(placed, 200, sdp: H.sipSDP(port: 30000))
        let answered = h.take()
        let side = try #require(h.sipSides(answered).first)
        #expect(side.remoteHost == "192.0.2.9" && side.remotePort == 30000 && side.direction == .sendrecv && side.sdes == nil)
        #expect(h.events(answered, session) == [.answered(call: "c1")])
        #expect(h.model.call("c1")?.phase == .answered(Call.Hold()))

        h.send(session, "c1", .hangup)
        let out = h.take()
        #expect(h.placedRequests(out).map(\.method) == [.bye])
        #expect(h.ended(out, session)?.cause == .hangup && h.closedMedia(out))
        #expect(h.model.callCount == 0)
    }

    @Test func earlyMediaConfiguresTheSIPSideBeforeTheAnswer() throws {
        let h = H()
        let (session, placed) = try calling(h)
        h.answerPlaced(placed, 183, sdp: H.sipSDP(port: 31000))
        let out = h.take()
        #expect(h.sipSides(out).first?.remotePort == 31000)
        #expect(h.events(out, session) == [.progress(call: "c1", code: 183, reason: "Session Progress", earlyMedia: true)])
    }

    @Test func theBrowserHangingUpWhileItRingsCancelsAndA487EndsNothingMore() throws {
        let h = H()
        let (session, placed) = try calling(h)
        h.answerPlaced(placed, 180)
        h.take()
        h.send(session, "c1", .hangup)
        let out = h.take()
        let cancel = try #require(h.placedRequests(out).first)
        #expect(cancel.method == .cancel && h.ended(out, session)?.cause == .hangup)
        h.answerPlaced(placed, 487)
        #expect(h.take().isEmpty)   // the call was already over for the browser
    }

    @Test func farEndFailuresReachThePageAsTheirCause() throws {
        for (code, cause) in [(486, EndCause.busy), (480, .unavailable), (404, .notFound), (603, .rejected), (408, .timeout)] {
            let h = H()
            let (session, placed) = try calling(h)
            h.answerPlaced(placed, code)
            let out = h.take()
            #expect(h.ended(out, session)?.code == code && h.ended(out, session)?.cause == cause)
            #expect(h.closedMedia(out) && h.model.callCount == 0)
        }
    }

    @Test func anUnusableAnswerHangsUp() throws {
        let h = H()
        let (session, placed) = try calling(h)
        h.answerPlaced(placed, 200, sdp: Array("v=0\r\n".utf8))
        let out = h.take()
        #expect(h.placedRequests(out).map(\.method) == [.bye])
        #expect(h.ended(out, session)?.cause == .notAcceptable)
    }

    @Test func theRingTimeoutCancels() throws {
        let h = H { $0.ringTimeout = 30 * H.second }
        let (session, placed) = try calling(h)
        h.answerPlaced(placed, 180)
        h.take()
        h.advance(29 * H.second)
        #expect(h.take().isEmpty)
        h.advance(H.second)
        let out = h.take()
        #expect(h.placedRequests(out).map(\.method) == [.cancel] && h.ended(out, session)?.cause == .timeout)
    }

    @Test func aFarEndByeEndsTheCall() throws {
        let h = H()
        let (session, placed) = try calling(h)
        h.answerPlaced(placed, 200, sdp: H.sipSDP())
        h.take()
        let toTag = try #require(H.toTag(H.response(200, to: placed.invite)))
        let (bye, key) = try H.request("BYE", callID: placed.callID, toTag: "1001-side", cseq: 2)
        // The BYE comes in the placed call's dialog: its From is the far end, its To us.
        var inDialog = bye
        inDialog.headers.set("From", "<sip:2000@gw.test>;tag=\(toTag)")
        inDialog.headers.set("To", placed.invite.headers["From"] ?? "")
        #expect(h.model.inDialog(inDialog, key: key, now: h.now))
        let out = h.take()
        #expect(h.responses(out).map(\.statusCode) == [200])
        #expect(out.contains { if case .placedCallHungUp = $0 { true } else { false } })
        #expect(h.ended(out, session)?.cause == .hangup)
    }

    @Test func holdAndResumeByReinviteWithTheirAnswers() throws {
        let h = H()
        let (session, placed, hold) = try holding(h)
        #expect(hold.method == .invite && String(decoding: hold.body, as: UTF8.self).contains("a=sendonly"))
        h.send(session, "c1", .resume)   // one re-INVITE at a time
        #expect(h.events(h.take(), session).first.map { if case .error(let e) = $0 { e.code == .badState } else { false } } == true)
        h.answerPlaced(placed, 200, sdp: H.sipSDP(direction: "recvonly", version: 2), to: hold)
        let held = h.take()
        #expect(h.sipSides(held).first?.direction == .sendonly)
        #expect(h.events(held, session) == [.held(call: "c1", by: .local)])
        h.send(session, "c1", .resume)
        let resume = try #require(h.placedRequests(h.take()).first)
        h.answerPlaced(placed, 200, sdp: H.sipSDP(version: 3), to: resume)
        #expect(h.events(h.take(), session) == [.resumed(call: "c1", by: .local)])
    }

    @Test func aRefusedHoldIsAnErrorAndTheCallStaysUp() throws {
        let h = H()
        let (session, placed, hold) = try holding(h)
        h.answerPlaced(placed, 488, to: hold)
        let events = h.events(h.take(), session)
        #expect(events.count == 1 && events.first.map { if case .error(let e) = $0 { e.code == .holdFailed } else { false } } == true)
        #expect(h.model.call("c1")?.hold == Call.Hold())
    }

    @Test func limitsRefuseWithTheirCodes() throws {
        let h = H(pairs: 1) { $0.maxCallsPerSession = 1 }
        let session = try h.signIn("1001")
        h.send(session, "bad id!", .place(to: "2000", sdp: H.browserOffer))
        h.send(session, "c0", .place(to: "no spaces", sdp: H.browserOffer))
        h.send(session, "c0", .place(to: "2000", sdp: "not sdp"))
        h.send(session, "c1", .place(to: "2000", sdp: H.browserOffer))
        h.send(session, "c1", .place(to: "2000", sdp: H.browserOffer))
        h.send(session, "c2", .place(to: "2000", sdp: H.browserOffer))
        let codes = h.events(h.take(), session).compactMap { if case .error(let e) = $0 { e.code } else { nil } }
        #expect(codes == [.badMessage, .badNumber, .badSDP, .badMessage, .tooManyCalls])

        let other = H(pairs: 0)
        let s = try other.signIn("1001")
        other.send(s, "c1", .place(to: "2000", sdp: H.browserOffer))
        #expect(other.events(other.take(), s).first.map { if case .error(let e) = $0 { e.code == .noMediaPort } else { false } } == true)
    }

    /// Data the browser attaches (Genesys `attacheddata`) rides on the INVITE as prefixed headers; what
    /// could inject a header is refused.
    @Test func attachedDataBecomesHeadersOfTheINVITE() throws {
        let h = H()
        let session = try h.signIn("1001")
        h.send(session, "c1", .place(to: "2000", sdp: H.browserOffer, data: ["Name": "Yong Lee", "Account": "123"]))
        h.openBrowserLegs(h.take())
        let invite = try #require(h.placed(h.take())).invite
        #expect(invite.headers["X-Genesys-Name"] == "Yong Lee" && invite.headers["X-Genesys-Account"] == "123")
        for bad in [["Name": "x\r\nVia: evil"], ["Na me": "x"], ["": "x"], ["k": String(repeating: "v", count: 300)]] {
            h.send(session, "c2", .place(to: "2000", sdp: H.browserOffer, data: bad))
            let out = h.take()
            #expect(h.events(out, session).first.map { if case .error(let e) = $0 { e.code == .badMessage } else { false } } == true)
            #expect(!out.contains { if case .openBrowserLeg = $0 { true } else { false } })
        }
    }

    @Test func anAnonymousUserCallsOnlyTheConfiguredNumbers() throws {
        let h = H { $0.sessions.anonymousDestinations = ["echo"] }
        let session = try h.model.open(source: "198.51.100.7").get()
        #expect(h.model.signInAnonymously(session, user: "guest") == .signedIn(user: "guest", session: session))
        h.take()
        h.send(session, "c1", .place(to: "2000", sdp: H.browserOffer))
        let refused = h.take()
        #expect(refused.contains { if case .refused(reason: "anonymous-destination") = $0 { true } else { false } })
        h.send(session, "c2", .place(to: "echo", sdp: H.browserOffer))
        #expect(h.take().contains { if case .openBrowserLeg("c2", _, _, _) = $0 { true } else { false } })
    }

    @Test func theBrowserLegLostHangsUpTheSIPSide() throws {
        let h = H()
        let (session, placed) = try calling(h)
        h.answerPlaced(placed, 200, sdp: H.sipSDP())
        h.take()
        h.model.browserLegEnded(call: "c1", .lost(.consent, "ICE consent expired"), now: h.now)
        let out = h.take()
        #expect(h.placedRequests(out).map(\.method) == [.bye] && h.ended(out, session)?.cause == .mediaLost)
    }

    /// An answered call (as `calling`, with a 2 s hang-up grace) whose browser has just closed its media.
    private func mediaClosed() throws -> (H, session: String) {
        let h = H { $0.hangUpGrace = 2 * H.second }
        let (session, placed) = try calling(h)
        h.answerPlaced(placed, 200, sdp: H.sipSDP())
        h.take()
        h.model.browserLegEnded(call: "c1", .closedByBrowser, now: h.now)
        #expect(h.placedRequests(h.take()).isEmpty)
        return (h, session)
    }

    /// A browser hangs up by closing its peer connection around its hang-up message: a close just
    /// before the message is a hang-up, not lost media, and without the message it ends as one too.
    @Test func aBrowserClosingItsMediaHangsUp() throws {
        let (h, session) = try mediaClosed()
        h.send(session, "c1", .hangup)
        let out = h.take()
        #expect(h.placedRequests(out).map(\.method) == [.bye] && h.ended(out, session)?.cause == .hangup)
        h.advance(2 * H.second)
        #expect(h.take().isEmpty)

        let (quiet, s2) = try mediaClosed()
        quiet.advance(2 * H.second - 1)
        #expect(quiet.take().isEmpty)
        quiet.advance(1)
        let ended = quiet.take()
        #expect(quiet.placedRequests(ended).map(\.method) == [.bye] && quiet.ended(ended, s2)?.cause == .hangup)
    }

    @Test func aBrowserOfferTheLegCannotTakeEndsTheCallBeforeAnyINVITE() throws {
        let h = H()
        let session = try h.signIn("1001")
        h.send(session, "c1", .place(to: "2000", sdp: H.browserOffer))
        h.take()
        h.model.browserLegFailed(call: "c1", reason: "offer not acceptable: no common codec", now: h.now)
        let out = h.take()
        #expect(h.placed(out) == nil && h.ended(out, session)?.cause == .notAcceptable && h.closedMedia(out))
    }
}
