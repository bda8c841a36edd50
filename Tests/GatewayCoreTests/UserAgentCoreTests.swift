import GatewayCore
import SIP
import SignalingProtocol
import Testing

/// The user agent's one dispatch, on a fake clock: SIP requests, responses
/// and timeouts reach the call model, the placed calls or the registrations,
/// and their SIP decisions come out as the core's values. The test plays the
/// SIP service (it gives each client transaction a key) and the browser.
@Suite struct UserAgentCoreTests {
    typealias H = CallModelHarness

    final class Agent {
        let h: H
        let core: UserAgentCore
        var now: UInt64 { h.now }
        private var branch = 0

        init(configure: (inout CallModel.Settings) -> Void = { _ in }) {
            h = H(configure: configure)
            var n = 0
            core = UserAgentCore(server: H.server,
                                 registrations: .init(domain: "gw.test", contactHost: "192.0.2.2", contactPort: 5070,
                                                      transport: "UDP", expires: 600),
                                 token: { n += 1; return "t\(n)" })
            core.attach(h.model, now: h.now)
        }

        /// The outputs since the last call; each request sent gets a client transaction key, as the service gives it.
        func drain() -> [(UserAgentCore.Output, TransactionKey?)] {
            var out: [(UserAgentCore.Output, TransactionKey?)] = []
            while let output = core.pollOutput() {
                guard case .send(let request, _, _, let owner) = output else {
                    out.append((output, nil))
                    continue
                }
                branch += 1
                let key = TransactionKey.client(branch: "z9hG4bK-ua-\(branch)", method: request.method)
                core.sent(key, for: owner)
                out.append((output, key))
            }
            return out
        }

        /// A signed-in `user`: its REGISTER went to the server and was answered 200.
        func signIn(_ user: String) throws -> String {
            let session = try h.model.open(source: "198.51.100.7").get()
            h.model.receive(.signIn(user: user, password: "secret"), from: session, now: now)
            let (register, key) = try #require(Self.sent(drain()).first)
            #expect(register.method == .register)
            core.response(Self.registered(register, user), key: key, now: now)
            let out = drain()
            #expect(out.contains { if case .registration(user, .registered(600)?) = $0.0 { true } else { false } })
            #expect(Self.events(out, session).contains { if case .signedIn = $0 { true } else { false } })
            return session
        }

        /// `session`'s browser calls 2000 as `call`, and the far end answers at once.
        func answeredCall(_ session: String, _ call: String) throws {
            h.send(session, call, .place(to: "2000", sdp: H.browserOffer))
            _ = drain()
            h.model.browserLegOpened(call: call, answer: H.browserAnswer, now: now)
            let (invite, key) = try #require(Self.sent(drain()).first)
            core.response(H.response(200, to: invite, sdp: H.sipSDP()), key: key, now: now)
            _ = drain()
        }

        /// The registrar's 200 to `register` of `user`, binding it for 600 s.
        static func registered(_ register: SIPRequest, _ user: String) -> SIPResponse {
            var ok = TransactionLayer.response(to: register, .ok, toTag: "r")
            ok.headers.add("Contact", "<sip:\(user)@192.0.2.2:5070>;expires=600")
            return ok
        }

        static func sent(_ out: [(UserAgentCore.Output, TransactionKey?)]) -> [(SIPRequest, TransactionKey)] {
            out.compactMap { if case .send(let r, _, _, _) = $0.0, let key = $0.1 { (r, key) } else { nil } }
        }

        static func responses(_ out: [(UserAgentCore.Output, TransactionKey?)]) -> [SIPResponse] {
            out.compactMap { if case .respond(_, let r) = $0.0 { r } else { nil } }
        }

        static func events(_ out: [(UserAgentCore.Output, TransactionKey?)], _ session: String) -> [ServerEvent] {
            out.compactMap { if case .call(.signal(session, let event)) = $0.0 { event } else { nil } }
        }
    }

    @Test func aBrowsersCallGoesOutAsAnInviteAndItsAnswerIsAcknowledged() throws {
        let a = Agent()
        let session = try a.signIn("1001")
        a.h.send(session, "c1", .place(to: "2000", sdp: H.browserOffer))
        let opening = a.drain()
        #expect(opening.contains { if case .call(.openBrowserLeg("c1", _, _, _)) = $0.0 { true } else { false } })
        a.h.model.browserLegOpened(call: "c1", answer: H.browserAnswer, now: a.now)
        let (invite, key) = try #require(Agent.sent(a.drain()).first)
        #expect(invite.method == .invite && invite.uri.description == "sip:2000@gw.test")

        a.core.response(H.response(200, to: invite, sdp: H.sipSDP()), key: key, now: a.now)
        let answered = a.drain()
        #expect(answered.contains { if case .write(let ack, _) = $0.0 { ack.method == .ack } else { false } })
        #expect(Agent.events(answered, session) == [.answered(call: "c1")])
    }

    @Test func aCancelIsAnsweredAndEndsTheRingingCallOnlyWhenItMatchedAnInvite() throws {
        let a = Agent()
        let session = try a.signIn("1001")
        let (invite, inviteKey) = try H.request("INVITE", sdp: H.sipSDP())
        #expect(a.core.request(invite, key: inviteKey, from: H.server, cancelling: nil, now: a.now))
        #expect(Agent.responses(a.drain()).map(\.statusCode) == [180])

        let (cancel, cancelKey) = try H.request("CANCEL", branch: "z9hG4bK-1")
        #expect(!a.core.request(cancel, key: cancelKey, from: H.server, cancelling: nil, now: a.now))   // the endpoint's 481
        #expect(a.drain().isEmpty)
        #expect(a.core.request(cancel, key: cancelKey, from: H.server, cancelling: inviteKey, now: a.now))
        let out = a.drain()
        #expect(Agent.responses(out).map(\.statusCode) == [200, 487])
        #expect(Agent.events(out, session).contains { if case .ended(_, _, _, .cancelled, _) = $0 { true } else { false } })
    }

    /// The model's re-INVITE in the dialog of a call it answered (the browser holds): its answer reaches the
    /// model through the core, which writes the ACK the model decides and tells the browser.
    @Test func theAnswerToTheModelsRequestInADialogReachesTheModel() throws {
        let a = Agent()
        let session = try a.signIn("1001")
        let (invite, inviteKey) = try H.request("INVITE", sdp: H.sipSDP())
        #expect(a.core.request(invite, key: inviteKey, from: H.server, cancelling: nil, now: a.now))
        guard case .incoming(let call, _, _, _, _)? = Agent.events(a.drain(), session).first else { throw Failure.noIncomingCall }
        a.h.send(session, call, .answer(sdp: H.browserOffer))
        a.h.model.browserLegOpened(call: call, answer: H.browserAnswer, now: a.now)
        #expect(Agent.responses(a.drain()).map(\.statusCode) == [200])

        a.h.send(session, call, .hold)
        let (reinvite, key) = try #require(Agent.sent(a.drain()).first)
        #expect(reinvite.method == .invite)
        a.core.response(H.response(200, to: reinvite, sdp: H.sipSDP(direction: "recvonly", version: 2)), key: key, now: a.now)
        let out = a.drain()
        #expect(out.contains { if case .write(let ack, _) = $0.0 { ack.method == .ack } else { false } })
        #expect(Agent.events(out, session) == [.held(call: call, by: .local)])
        a.core.response(H.response(200, to: reinvite), key: key, now: a.now)   // a retransmission of it finds nobody
        #expect(a.drain().isEmpty)
    }

    enum Failure: Error { case noIncomingCall }

    /// A call the shell placed itself (the test routes'): the far end's BYE is answered and ends it; its re-INVITE
    /// while ours is pending is glare.
    @Test func aPlacedCallNoBrowserOwnsIsAnsweredHere() throws {
        let a = Agent()
        var n = 0
        let placed = OutgoingCall(settings: .init(from: try SIPURI(parsing: "sip:1001@gw.test"), to: try SIPURI(parsing: "sip:2000@gw.test"),
                                                  contact: try SIPURI(parsing: "sip:1001@192.0.2.2:5070"), credentials: nil,
                                                  via: ("UDP", "192.0.2.2", 5070)),
                                  offer: H.sipSDP(), token: { n += 1; return "p\(n)" })
        let hop = SIPPeer(.udp, host: "192.0.2.9", port: 5080)
        a.core.place(placed, route: hop, now: a.now)
        let (invite, key) = try #require(Agent.sent(a.drain()).first)
        a.core.response(H.response(200, to: invite, sdp: H.sipSDP()), key: key, now: a.now)
        #expect(a.drain().contains { if case .write(_, let to) = $0.0 { to == hop } else { false } })

        a.core.send(try #require(placed.reinvite(offer: H.sipSDP(direction: "sendonly", version: 2))), inPlacedCall: placed.callID,
                    now: a.now)
        #expect(Agent.sent(a.drain()).map(\.0.method) == [.invite])
        let theirs = try farEnd("INVITE", in: placed, cseq: 7)
        #expect(a.core.request(theirs.0, key: theirs.1, from: hop, cancelling: nil, now: a.now))
        #expect(Agent.responses(a.drain()).map(\.statusCode) == [491])

        let bye = try farEnd("BYE", in: placed, cseq: 8)
        #expect(a.core.request(bye.0, key: bye.1, from: hop, cancelling: nil, now: a.now))
        let out = a.drain()
        #expect(Agent.responses(out).map(\.statusCode) == [200])
        #expect(out.contains { if case .placedCallEnded(placed.callID) = $0.0 { true } else { false } })
    }

    /// A request from the far end of a call we placed: its tags the other way round.
    private func farEnd(_ method: String, in call: OutgoingCall, cseq: Int) throws -> (SIPRequest, TransactionKey) {
        let from = try #require(call.invite.headers.from?.tag)
        let head = """
            \(method) sip:1001@192.0.2.2:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5080;branch=z9hG4bK-far-\(cseq)\r\n\
            From: <sip:2000@gw.test>;tag=far\r\nTo: <sip:1001@gw.test>;tag=\(from)\r\nCall-ID: \(call.callID)\r\n\
            CSeq: \(cseq) \(method)\r\nContact: <sip:2000@192.0.2.9:5080>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n
            """
        guard case .request(let r) = try SIPParser.parse(Array(head.utf8), framing: .datagram).message,
              let key = TransactionKey.server(for: r) else { throw H.HarnessError.notARequest }
        return (r, key)
    }

    /// One next timeout for every part: the call model's ring deadline is the core's, and fires through it.
    @Test func theCallModelsDeadlinesAreTheCoresTimeout() throws {
        let a = Agent { $0.ringTimeout = 30 * H.second }
        _ = try a.signIn("1001")
        let (invite, key) = try H.request("INVITE", sdp: H.sipSDP())
        #expect(a.core.request(invite, key: key, from: H.server, cancelling: nil, now: a.now))
        _ = a.drain()
        let ringDeadline = a.now + 30 * H.second
        var fired: [Int] = []
        while let due = a.core.nextTimeout, due <= ringDeadline {
            #expect(fired.isEmpty)   // nothing ends the call before its deadline
            a.core.handleTimeout(now: due)
            fired = Agent.responses(a.drain()).map(\.statusCode)
        }
        #expect(fired == [480])
    }

    /// The drain: a call up goes on; new sessions, sign-ins, browser calls and INVITEs are refused.
    @Test func aDrainRefusesWhatIsNewAndLeavesTheCallUp() throws {
        let a = Agent()
        let session = try a.signIn("1001")
        let waiting = try a.h.model.open(source: "198.51.100.8").get()   // connected, not signed in yet
        try a.answeredCall(session, "c1")

        a.core.drain(now: a.now)
        #expect(a.core.model?.isDraining == true)
        #expect(throws: SessionTable.Refusal.draining) { try a.h.model.open(source: "198.51.100.9").get() }
        a.h.model.receive(.signIn(user: "1002", password: "secret"), from: waiting, now: a.now)
        a.h.send(session, "c2", .place(to: "2000", sdp: H.browserOffer))
        let refused = a.drain()
        #expect(Agent.events(refused, waiting).contains { if case .error(let e) = $0 { e.code == .draining } else { false } })
        #expect(Agent.events(refused, session).contains { if case .error(let e) = $0 { e.code == .draining } else { false } })
        #expect(Agent.sent(refused).isEmpty)
        let (incoming, incomingKey) = try H.request("INVITE", callID: "in-2", sdp: H.sipSDP())
        #expect(a.core.request(incoming, key: incomingKey, from: H.server, cancelling: nil, now: a.now))
        let unavailable = try #require(Agent.responses(a.drain()).first)
        #expect(unavailable.statusCode == 503 && unavailable.headers["Retry-After"] == "60")
        #expect(a.h.model.call("c1")?.phase == .answered(Call.Hold()) && !a.core.isIdle)
    }

    /// The end of the drain: the call ends with a BYE, the session is signed out, and each user - the signed-in
    /// one and the configuration's account - gets one un-REGISTER; answered, nothing is left.
    @Test func theEndOfTheDrainHangsUpSignsOutAndUnregistersEveryUserOnce() throws {
        let a = Agent()
        a.core.started(contactPort: 5070, server: H.server, accounts: [(user: "gw", password: "pw")], now: a.now)
        let (accountRegister, accountKey) = try #require(Agent.sent(a.drain()).first { $0.0.method == .register })
        a.core.response(Agent.registered(accountRegister, "gw"), key: accountKey, now: a.now)
        let session = try a.signIn("1001")
        try a.answeredCall(session, "c1")

        a.core.endAll(now: a.now)
        let out = a.drain()
        let sent = Agent.sent(out)
        #expect(sent.filter { $0.0.method == .bye }.count == 1)
        let unregisters = sent.filter { $0.0.method == .register }
        #expect(unregisters.map { $0.0.headers["Expires"] ?? $0.0.headers["Contact"] ?? "" }.count == 2)
        #expect(Set(unregisters.compactMap { $0.0.headers["To"] }).count == 2)   // one each
        #expect(Agent.events(out, session).contains(.signedOut(reason: "the gateway is shutting down")))
        #expect(Agent.events(out, session).contains { if case .ended(_, _, _, .shutdown, _) = $0 { true } else { false } })
        #expect(!a.core.isIdle)
        for (request, key) in sent {
            a.core.response(TransactionLayer.response(to: request, .ok, toTag: "r"), key: key, now: a.now)
        }
        _ = a.drain()
        #expect(a.core.isIdle)
    }
}

/// Readiness: the SIP server answers the probe's OPTIONS, the configuration's accounts are registered, no drain.
@Suite struct ServerProbeTests {
    typealias H = CallModelHarness

    @Test func readyOnceTheServerAnswersAndTheAccountIsRegisteredNotWhileDraining() throws {
        let a = UserAgentCoreTests.Agent()
        a.core.started(contactPort: 5070, server: H.server, accounts: [(user: "gw", password: "pw")], now: a.now)
        let sent = UserAgentCoreTests.Agent.sent(a.drain())
        let (options, probeKey) = try #require(sent.first { $0.0.method == .options })
        let (register, registerKey) = try #require(sent.first { $0.0.method == .register })
        #expect(options.uri.description == "sip:192.0.2.1:5060" && !a.core.isReady)
        a.core.response(TransactionLayer.response(to: options, SIPStatus(405), toTag: "s"), key: probeKey, now: a.now)
        #expect(a.core.probe.reachable == true && !a.core.isReady)   // the account is not registered yet
        a.core.response(UserAgentCoreTests.Agent.registered(register, "gw"), key: registerKey, now: a.now)
        _ = a.drain()
        #expect(a.core.isReady)

        // The next probe goes after the interval; unanswered, the server is unreachable.
        let due = try #require(a.core.probe.nextTimeout)
        #expect(due == a.now + 30 * H.second)
        a.core.handleTimeout(now: due)
        let (again, againKey) = try #require(UserAgentCoreTests.Agent.sent(a.drain()).first { $0.0.method == .options })
        #expect(again.headers["CSeq"] == "2 OPTIONS")
        a.core.timeout(againKey, now: due + 32 * H.second)
        #expect(a.core.probe.reachable == false && !a.core.isReady)

        a.core.handleTimeout(now: due + 62 * H.second)
        let (third, thirdKey) = try #require(UserAgentCoreTests.Agent.sent(a.drain()).first { $0.0.method == .options })
        a.core.response(TransactionLayer.response(to: third, .ok, toTag: "s"), key: thirdKey, now: due + 62 * H.second)
        #expect(a.core.isReady)
        a.core.drain(now: a.now)
        #expect(!a.core.isReady)
    }
}
