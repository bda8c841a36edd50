import SIP
import Testing

/// RFC 3263 §4.3 on a fake clock (µs): a request whose target fails goes again, in a new transaction, to
/// the next target, and its answer reaches the user under the first key; an INVITE does not; nor does a
/// request with no other target left.
struct ServerFailoverTests {
    static let second: UInt64 = 1_000_000
    static let server = SIPPeer(.udp, host: "example.com", port: 5060)
    static let a = SIPPeer(.udp, host: "192.0.2.10", port: 5060), b = SIPPeer(.udp, host: "192.0.2.20", port: 5070)

    /// A failover whose server name led to `targets` (by SRV, in that order).
    static func failover(_ targets: [SIPPeer]) -> ServerFailover {
        var locator = SIPServerLocator(.init(server: server, portGiven: false, family: .a), now: 0, pick: { _ in 0 })
        let srv = locator.poll(now: 0)[0]
        locator.answered(srv, .records(targets.enumerated().map { i, t in
            DNSRecord(.service(priority: UInt16(10 * (i + 1)), weight: 0, port: t.port, target: "t\(i).example.com"), ttl: 60)
        }), now: 0)
        for query in locator.poll(now: 0) {
            let i = Int(query.name.dropFirst().prefix { $0 != "." }) ?? 0
            locator.answered(query, .records([DNSRecord(.address(targets[i].host), ttl: 60)]), now: 0)
        }
        return ServerFailover(locator: locator)
    }

    static func request(_ method: SIPMethod, branch: String = "z9hG4bKfirst") -> SIPRequest {
        SIPRequest(method: method, uri: SIPURI(host: "example.com"), headers: SIPHeaders([
            ("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=\(branch);rport"), ("From", "<sip:u@example.com>;tag=1"),
            ("To", "<sip:u@example.com>"), ("Call-ID", "c1"), ("CSeq", "1 \(method)"),
        ]))
    }

    @Test func aTimedOutRequestGoesToTheNextTargetAndItsAnswerComesUnderTheFirstKey() {
        var f = Self.failover([Self.a, Self.b])
        #expect(f.destination(Self.server, now: 0) == Self.a)
        let first = TransactionKey.client(branch: "z9hG4bKfirst", method: .register)
        f.started(first, Self.request(.register), for: Self.server, target: Self.a)
        let (outcome, failure) = f.timedOut(first, at: Self.a, now: 32 * Self.second, branch: "again")
        #expect(failure == .init(target: Self.a, next: Self.b))
        guard case .retry(let retry) = outcome else { Issue.record("no retry: \(outcome)"); return }
        #expect(retry.headers.values("Via").first?.contains("branch=z9hG4bKagain") == true)
        #expect(f.destination(Self.server, now: 32 * Self.second) == Self.b)
        let second = TransactionKey.client(branch: "z9hG4bKagain", method: .register)
        f.started(second, retry, for: Self.server, target: Self.b)
        #expect(f.response(SIPStatus(100), key: second, now: 33 * Self.second, branch: "x").0 == .deliver(first))
        #expect(f.response(.ok, key: second, now: 33 * Self.second, branch: "x") == (.deliver(first), nil))
        #expect(f.response(.ok, key: second, now: 34 * Self.second, branch: "x").0 == .deliver(second))  // forgotten
    }

    @Test func a503GoesToTheNextTargetOtherFailuresDoNot() {
        var f = Self.failover([Self.a, Self.b])
        let key = TransactionKey.client(branch: "z9hG4bKfirst", method: .options)
        f.started(key, Self.request(.options), for: Self.server, target: Self.a)
        #expect(f.response(SIPStatus(486), key: key, now: 0, branch: "x") == (.deliver(key), nil))
        f.started(key, Self.request(.options), for: Self.server, target: Self.a)
        guard case .retry = f.response(.serviceUnavailable, key: key, now: 0, branch: "x").0 else {
            Issue.record("a 503 was not retried"); return
        }
    }

    @Test func anInviteIsNotSentAgainButItsTargetIsPassedOver() {
        var f = Self.failover([Self.a, Self.b])
        let key = TransactionKey.client(branch: "z9hG4bKfirst", method: .invite)
        f.started(key, Self.request(.invite), for: Self.server, target: Self.a)
        #expect(f.timedOut(key, at: Self.a, now: 0, branch: "x") == (.deliver(key), .init(target: Self.a, next: Self.b)))
        #expect(f.destination(Self.server, now: 1) == Self.b)
    }

    @Test func withNoOtherTargetTheFailureGoesToTheUser() {
        var one = Self.failover([Self.a])
        let key = TransactionKey.client(branch: "z9hG4bKfirst", method: .register)
        one.started(key, Self.request(.register), for: Self.server, target: Self.a)
        #expect(one.timedOut(key, at: Self.a, now: 0, branch: "x") == (.deliver(key), nil))   // one target: never passed over
        #expect(one.destination(Self.server, now: 1) == Self.a)
        // Two targets, both failed in turn: the second failure ends it (no ping-pong between dead targets).
        var two = Self.failover([Self.a, Self.b])
        two.started(key, Self.request(.register), for: Self.server, target: Self.a)
        guard case .retry(let retry) = two.timedOut(key, at: Self.a, now: 0, branch: "again").0 else {
            Issue.record("the first failure was not retried"); return
        }
        let again = TransactionKey.client(branch: "z9hG4bKagain", method: .register)
        two.started(again, retry, for: Self.server, target: Self.b)
        #expect(two.timedOut(again, at: Self.b, now: Self.second, branch: "third") == (.deliver(key), .init(target: Self.b, next: Self.a)))
    }

    @Test func othersThanTheServerAreLeftAlone() {
        var f = Self.failover([Self.a, Self.b])
        let phone = SIPPeer(.udp, host: "198.51.100.7", port: 5060)
        #expect(f.destination(phone, now: 0) == phone)
        let key = TransactionKey.client(branch: "z9hG4bKfirst", method: .bye)
        f.started(key, Self.request(.bye), for: phone, target: phone)
        #expect(f.timedOut(key, at: phone, now: 0, branch: "x") == (.deliver(key), nil))
        #expect(f.unreachable(phone, now: 0) == nil && f.destination(Self.server, now: 0) == Self.a)
    }
}
