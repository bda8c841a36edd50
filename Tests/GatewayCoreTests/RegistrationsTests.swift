import GatewayCore
import SIP
import Testing

/// The user agent's registrations on a fake clock (µs), against the embedded
/// registrar's core as the SIP server.
@Suite struct RegistrationsTests {
    static let second: UInt64 = 1_000_000
    let server = SIPPeer(.udp, host: "127.0.0.1", port: 5080)

    func registrations() -> Registrations {
        var n = 0
        return Registrations(settings: .init(domain: "example.com", contactHost: "127.0.0.1", contactPort: 5080,
                                             transport: "UDP", expires: 600),
                             token: { n += 1; return "t\(n)" })
    }

    /// Drains the outputs: REGISTERs sent (each given a transaction key), state changes.
    func drain(_ r: Registrations) -> (sent: [(SIPRequest, TransactionKey)], changed: [RegistrationClient.State]) {
        var sent: [(SIPRequest, TransactionKey)] = [], changed: [RegistrationClient.State] = []
        while let output = r.pollOutput() {
            switch output {
            case .send(let request, let user):
                let key = TransactionKey.client(branch: "b-\(request.headers["CSeq"] ?? "")", method: .register)
                r.sent(key, for: user)
                sent.append((request, key))
            case .changed(_, let state):
                changed.append(state)
            }
        }
        return (sent, changed)
    }

    func answer(_ request: SIPRequest, _ status: SIPStatus, expires: Int = 600) -> SIPResponse {
        var response = TransactionLayer.response(to: request, status, toTag: "r")
        if status == .ok { response.headers.add("Contact", "<sip:1001@127.0.0.1:5080>;expires=\(expires)") }
        return response
    }

    @Test func registersThenRefreshesAtHalfTheInterval() throws {
        let r = registrations()
        r.register(user: "1001", password: nil, now: 0)
        let (sent, _) = drain(r)
        let (first, key) = try #require(sent.first)
        #expect(first.method == .register && first.headers["Expires"] == "600")
        #expect(r.response(answer(first, .ok), key: key, now: 1))
        #expect(drain(r).changed == [.registered(expires: 600)])
        #expect(r.nextTimeout == 1 + 300 * Self.second)
        r.handleTimeout(now: 300 * Self.second)
        #expect(drain(r).sent.isEmpty)                            // not yet
        r.handleTimeout(now: 1 + 300 * Self.second)
        let refresh = try #require(drain(r).sent.first)
        #expect(refresh.0.headers["CSeq"] == "2 REGISTER")
    }

    /// A refresh the server refuses: the user hears of it (the call model tells the browser), and it is retried later.
    @Test func aRefusedRefreshIsReportedAndRetried() throws {
        let r = registrations()
        r.register(user: "1001", password: nil, now: 0)
        let (first, key) = try #require(drain(r).sent.first)
        _ = r.response(answer(first, .ok), key: key, now: 0)
        _ = drain(r)
        r.handleTimeout(now: 300 * Self.second)
        let (refresh, refreshKey) = try #require(drain(r).sent.first)
        _ = r.response(answer(refresh, .forbidden), key: refreshKey, now: 300 * Self.second)
        #expect(drain(r).changed == [.failed(code: 403, reason: "Forbidden")])
        let retryAt = try #require(r.nextTimeout)
        #expect(retryAt > 300 * Self.second)
        r.handleTimeout(now: retryAt)
        #expect(drain(r).sent.count == 1)
    }

    @Test func aTimeoutIsReportedAndRetried() throws {
        let r = registrations()
        r.register(user: "1001", password: nil, now: 0)
        let (_, key) = try #require(drain(r).sent.first)
        #expect(r.timeout(key, now: 32 * Self.second))
        let changed = drain(r).changed
        #expect(changed.count == 1 && r.nextTimeout != nil)
        #expect(!r.timeout(key, now: 33 * Self.second))           // not a registration's any more
    }

    @Test func unregisterThenForgotten() throws {
        let r = registrations()
        r.register(user: "1001", password: nil, now: 0)
        let (first, key) = try #require(drain(r).sent.first)
        _ = r.response(answer(first, .ok), key: key, now: 0)
        _ = drain(r)
        r.unregister(user: "1001", now: 1)
        let (bye, byeKey) = try #require(drain(r).sent.first)
        #expect(bye.headers["Expires"] == "0" || bye.headers["Contact"]?.contains("expires=0") == true)
        _ = r.response(answer(bye, .ok, expires: 0), key: byeKey, now: 2)
        #expect(drain(r).changed == [.unregistered])
        #expect(r.isEmpty && r.nextTimeout == nil)
    }

    /// A sign-in that failed: the user is forgotten, and the answers of its transactions are not taken.
    @Test func forgetDropsTheUserAndItsTransactions() throws {
        let r = registrations()
        r.register(user: "1001", password: "pw", now: 0)
        let (first, key) = try #require(drain(r).sent.first)
        r.forget(user: "1001")
        #expect(!r.response(answer(first, .ok), key: key, now: 1) && r.isEmpty && r.nextTimeout == nil)
    }
}
