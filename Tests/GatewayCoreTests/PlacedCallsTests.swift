import GatewayCore
import SIP
import Testing

/// The user agent's placed calls on a fake clock: transactions by owner,
/// digest challenges, a 2xx crossing our CANCEL, session refresh and expiry.
@Suite struct PlacedCallsTests {
    static let second: UInt64 = 1_000_000
    let server = SIPPeer(.udp, host: "192.0.2.1", port: 5060)

    final class Driver {
        let calls: PlacedCalls
        var now: UInt64 = 1_000 * PlacedCallsTests.second
        /// Requests sent, with the key their transaction got.
        var sent: [(request: SIPRequest, key: TransactionKey)] = []
        var written: [SIPRequest] = []
        var changes: [OutgoingCall.State] = []
        var ended: [String] = []
        private var n = 0

        init(server: SIPPeer) { calls = PlacedCalls(server: server) }

        func drain() {
            while let output = calls.pollOutput() {
                switch output {
                case .send(let request, let callID, _, _):
                    n += 1
                    let key = TransactionKey.client(branch: "b\(n)", method: request.method)
                    calls.sent(key, for: callID)
                    sent.append((request, key))
                case .write(let ack, _): written.append(ack)
                case .changed(let call, _): changes.append(call.state)
                case .ended(let callID): ended.append(callID)
                case .log: break
                }
            }
        }

        /// The far end answers the last request sent.
        func answer(_ code: Int, headers: [(String, String)] = []) {
            guard let (request, key) = sent.last else { return }
            var response = TransactionLayer.response(to: request, SIPStatus(code), toTag: "far")
            if code < 300 { response.headers.add("Contact", "<sip:far@192.0.2.9:5080>") }
            for (name, value) in headers { response.headers.add(name, value) }
            #expect(calls.response(response, key: key, now: now))
            drain()
        }

        /// Places `call` and the far end answers 200 with `headers`; returns when that was.
        func placeAnswered(_ call: OutgoingCall, headers: [(String, String)] = []) -> UInt64 {
            calls.place(call, now: now)
            drain()
            answer(200, headers: headers)
            return now
        }

        func advance(to time: UInt64) {
            now = time
            calls.handleTimeout(now: now)
            drain()
        }
    }

    private func call(credentials: DigestCredentials? = nil) throws -> OutgoingCall {
        var n = 0
        return OutgoingCall(settings: .init(from: try SIPURI(parsing: "sip:1001@gw.test"), to: try SIPURI(parsing: "sip:2000@gw.test"),
                                            contact: try SIPURI(parsing: "sip:1001@192.0.2.2:5070"), credentials: credentials,
                                            via: ("UDP", "192.0.2.2", 5070)),
                            offer: Array("v=0\r\n".utf8), token: { n += 1; return "t\(n)" })
    }

    @Test func aTwoHundredCrossingOurCancelIsAcknowledgedAndHungUp() throws {
        let d = Driver(server: server)
        let c = try call()
        d.calls.place(c, now: d.now)
        d.drain()
        d.answer(180)
        let cancel = try #require(c.cancel())
        d.calls.send(cancel, for: c.callID, now: d.now)
        d.drain()
        #expect(d.sent.map(\.request.method) == [.invite, .cancel])
        // The callee answered before our CANCEL reached it: the 200 to the INVITE arrives.
        let inviteKey = d.sent[0].key
        var ok = TransactionLayer.response(to: c.invite, .ok, toTag: "far")
        ok.headers.add("Contact", "<sip:far@192.0.2.9:5080>")
        #expect(d.calls.response(ok, key: inviteKey, now: d.now))
        d.drain()
        #expect(d.written.map(\.method) == [.ack])
        #expect(d.sent.map(\.request.method) == [.invite, .cancel, .bye])
        #expect(!d.changes.contains(.confirmed))    // the call model never sees it answered
        d.answer(200)
        #expect(d.ended == [c.callID])
    }

    @Test func challengedInviteAndByeGoAgainWithCredentialsOnce() throws {
        let d = Driver(server: server)
        let c = try call(credentials: DigestCredentials(username: "1001", password: "secret"))
        d.calls.place(c, now: d.now)
        d.drain()
        d.answer(407, headers: [("Proxy-Authenticate", "Digest realm=\"gw.test\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"")])
        let retried = try #require(d.sent.last?.request)
        #expect(retried.method == .invite && retried.headers["Proxy-Authorization"]?.contains("username=\"1001\"") == true)
        #expect(retried.headers["CSeq"] == "2 INVITE")
        d.answer(200)
        #expect(d.changes.last == .confirmed && d.written.count == 1)

        d.calls.send(try #require(c.bye()), for: c.callID, now: d.now)
        d.drain()
        d.answer(401, headers: [("WWW-Authenticate", "Digest realm=\"gw.test\", nonce=\"n2\", algorithm=MD5")])
        let bye = try #require(d.sent.last?.request)
        #expect(bye.method == .bye && bye.headers["Authorization"]?.contains("nonce=\"n2\"") == true)
        #expect(d.ended.isEmpty)
        d.answer(401, headers: [("WWW-Authenticate", "Digest realm=\"gw.test\", nonce=\"n3\", algorithm=MD5")])
        #expect(d.sent.filter { $0.request.method == .bye }.count == 2 && d.ended == [c.callID])   // once, then given up
    }

    @Test func aSecondChallengeToTheInviteEndsTheCall() throws {
        let d = Driver(server: server)
        let c = try call(credentials: DigestCredentials(username: "1001", password: "wrong"))
        d.calls.place(c, now: d.now)
        d.drain()
        let challenge = [("WWW-Authenticate", "Digest realm=\"gw.test\", nonce=\"n1\", algorithm=MD5")]
        d.answer(401, headers: challenge)
        d.answer(401, headers: challenge)
        #expect(d.changes.last == .ended(code: 401, reason: "Unauthorized") && d.ended == [c.callID])
        #expect(d.sent.count == 2)
    }

    @Test func weRefreshTheSessionAtHalfTheIntervalAndItExpiresWithoutAnswer() throws {
        let d = Driver(server: server)
        let c = try call()
        let start = d.placeAnswered(c, headers: [("Session-Expires", "120;refresher=uac")])
        #expect(d.calls.nextTimeout == start + 60 * Self.second)
        d.advance(to: start + 60 * Self.second)
        let update = try #require(d.sent.last?.request)
        #expect(update.method == .update && update.headers["Session-Expires"] == "120;refresher=uac")
        d.answer(200)   // refreshed: the next refresh is half an interval on
        #expect(d.calls.nextTimeout == start + 120 * Self.second)
        // Nothing answers the next refresh: the session runs out (less the margin) and a BYE ends it.
        d.advance(to: start + 120 * Self.second)
        #expect(d.sent.last?.request.method == .update)
        d.advance(to: try #require(d.calls.nextTimeout))
        #expect(d.sent.last?.request.method == .bye && d.changes.last == .ended(code: 408, reason: "session expired without a refresh"))
    }

    @Test func theFarEndRefreshingKeepsTheSessionAlive() throws {
        let d = Driver(server: server)
        let c = try call()
        let start = d.placeAnswered(c, headers: [("Session-Expires", "90;refresher=uas")])
        let expiry = try #require(d.calls.nextTimeout)
        #expect(expiry == start + 60 * Self.second)   // 90 s less 30 s of margin
        d.advance(to: expiry - Self.second)
        d.calls.refreshedByPeer(c.callID, now: d.now)
        #expect(d.calls.nextTimeout == d.now + 60 * Self.second)
        d.advance(to: try #require(d.calls.nextTimeout))
        #expect(d.sent.last?.request.method == .bye)
    }

    @Test func glareOnOurReinviteIsRetriedLater() throws {
        let d = Driver(server: server)
        let c = try call()
        _ = d.placeAnswered(c)
        d.calls.send(try #require(c.reinvite(offer: Array("a=sendonly".utf8))), for: c.callID, now: d.now)
        d.drain()
        d.answer(491)
        let retryAt = try #require(d.calls.nextTimeout)
        #expect(retryAt >= d.now + 2_100_000 && retryAt <= d.now + 4_000_000)
        d.advance(to: retryAt)
        let retry = try #require(d.sent.last?.request)
        #expect(retry.method == .invite && retry.body == Array("a=sendonly".utf8) && retry.headers["CSeq"] == "3 INVITE")
        d.answer(200)
        #expect(c.lastReinviteResult == 200 && d.written.count == 2)
    }

    @Test func aTimeoutEndsTheCallAndAnEndedCallIsForgottenAfterItsRetention() throws {
        let d = Driver(server: server)
        let c = try call()
        d.calls.place(c, now: d.now)
        d.drain()
        #expect(d.calls.timeout(d.sent[0].key, now: d.now))
        d.drain()
        #expect(d.changes == [.ended(code: 408, reason: "no answer")] && d.ended == [c.callID])
        #expect(d.calls[c.callID] != nil && d.calls.activeCount == 0)
        d.advance(to: d.now + d.calls.retention)
        #expect(d.calls[c.callID] == nil && d.calls.nextTimeout == nil)
    }
}
