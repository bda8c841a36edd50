import GatewayCore
import SignalingProtocol
import Testing

/// Sessions and sign-in on a fake clock (µs).
@Suite struct SessionTableTests {
    static let second: UInt64 = 1_000_000

    func table(_ configure: (inout SessionTable.Settings) -> Void = { _ in }) -> SessionTable {
        var settings = SessionTable.Settings()
        configure(&settings)
        return SessionTable(settings: settings)
    }

    func drain(_ t: inout SessionTable) -> [SessionTable.Output] {
        var out: [SessionTable.Output] = []
        while let o = t.pollOutput() { out.append(o) }
        return out
    }

    func errorCode(_ outputs: [SessionTable.Output]) -> SignalingError.Code? {
        for case .signal(_, .error(let e)) in outputs { return e.code }
        return nil
    }

    @Test func signInRegistersThenSignsIn() {
        var t = table()
        #expect(t.open(id: "s1", source: "10.0.0.1") == nil)
        t.signIn("s1", user: "1001", password: "pw", now: 0)
        #expect(drain(&t) == [.register(user: "1001", password: "pw")])
        #expect(t["s1"]?.state == .signingIn)
        t.registration(of: "1001", .registered, now: 1)
        #expect(drain(&t) == [.signal(session: "s1", .signedIn(user: "1001", session: "s1"))])
        #expect(t.session(ofUser: "1001")?.id == "s1")
        t.close("s1")
        #expect(drain(&t) == [.unregister(user: "1001")])
        #expect(t.count == 0 && t.signedInUsers == 0)
    }

    @Test func refusalsInTheOrderTheProtocolPromises() {
        var t = table()
        _ = t.open(id: "a", source: "x")
        _ = t.open(id: "b", source: "x")
        t.signIn("a", user: "bad user", password: "pw", now: 0)
        #expect(errorCode(drain(&t)) == .badUser)
        t.signIn("a", user: "1001", password: nil, now: 0)
        #expect(errorCode(drain(&t)) == .badPassword)
        t.signIn("a", user: "1001", password: String(repeating: "p", count: 129), now: 0)
        #expect(errorCode(drain(&t)) == .badPassword)
        t.signIn("a", user: "1001", password: "pw", now: 0)
        _ = drain(&t)
        t.signIn("a", user: "1002", password: "pw", now: 0)
        #expect(errorCode(drain(&t)) == .badState)
        t.signIn("b", user: "1001", password: "pw", now: 0)
        #expect(errorCode(drain(&t)) == .inUse)
    }

    @Test func sessionsAreBoundedInAllAndPerSource() {
        var t = table { $0.maxSessions = 3; $0.maxSessionsPerSource = 2 }
        #expect(t.open(id: "1", source: "a") == nil)
        #expect(t.open(id: "2", source: "a") == nil)
        #expect(t.open(id: "3", source: "a") == .tooManyFromSource)
        #expect(t.open(id: "3", source: "b") == nil)
        #expect(t.open(id: "4", source: "c") == .serverFull)
        #expect(drain(&t) == [.refused(reason: "too-many-sessions"), .refused(reason: "server-full")])
        t.close("1")
        #expect(t.open(id: "5", source: "a") == nil)
    }

    /// A REGISTER nobody answers fails the sign-in after the timeout; an earlier attempt's deadline does not cut a later one short.
    @Test func aSignInThatWaitsTooLongFails() {
        var t = table()
        _ = t.open(id: "s", source: "x")
        t.signIn("s", user: "1001", password: "wrong", now: 0)
        t.registration(of: "1001", .failed(code: 403, reason: "Forbidden"), now: 2 * Self.second)
        #expect(errorCode(drain(&t)) == .wrongPassword)
        t.signIn("s", user: "1001", password: "pw", now: 5 * Self.second)
        _ = drain(&t)
        #expect(t.nextTimeout == 10 * Self.second)
        t.handleTimeout(now: 10 * Self.second)
        #expect(drain(&t).isEmpty)
        #expect(t.nextTimeout == 15 * Self.second)
        t.handleTimeout(now: 15 * Self.second)
        let out = drain(&t)
        #expect(out == [.forgetRegistration(user: "1001"),
                        .signal(session: "s", .error(SignalingError(.serverUnreachable, "the SIP server did not answer the REGISTER",
                                                                    request: "sign-in")))])
        #expect(t["s"]?.state == .new && t.session(ofUser: "1001") == nil && t.nextTimeout == nil)
    }

    @Test func registrationOutcomesAsTheClientHearsThem() {
        var t = table()
        for (code, expected) in [(404, SignalingError.Code.unknownUser), (503, .serverUnreachable), (408, .serverUnreachable),
                                 (500, .registrationFailed)] {
            _ = t.open(id: "s\(code)", source: "x")
            t.signIn("s\(code)", user: "u\(code)", password: "pw", now: 0)
            t.registration(of: "u\(code)", .failed(code: code, reason: "r"), now: 0)
            #expect(errorCode(drain(&t)) == expected)
        }
        _ = t.open(id: "ok", source: "x")
        t.signIn("ok", user: "1001", password: "pw", now: 0)
        t.registration(of: "1001", .registered, now: 0)
        _ = drain(&t)
        t.registration(of: "1001", .failed(code: 503, reason: "down"), now: 0)
        #expect(drain(&t) == [.signal(session: "ok", .registrationLost(code: 503, reason: "down"))])
    }

    /// Five wrong passwords lock the user's sign-in from that address for a minute, then two, then four;
    /// from another address it signs in as usual meanwhile.
    @Test func lockoutDoublesPerUserAndSource() {
        var t = table { $0.accounts = ["gw": "right"] }
        t.registration(of: "gw", .registered, now: 0)
        _ = t.open(id: "s", source: "attacker")
        var now: UInt64 = 0
        for wait in [60, 120, 240].map({ UInt64($0) * Self.second }) {
            for attempt in 1...5 {
                t.signIn("s", user: "gw", password: "guess", now: now)
                let out = drain(&t)
                #expect(errorCode(out) == .wrongPassword)
                #expect(out.contains(.lockedOut(user: "gw", source: "attacker", wait: wait)) == (attempt == 5))
            }
            // Locked until the wait is over: even the right password is refused, from that address only.
            t.signIn("s", user: "gw", password: "right", now: now + wait - 1)
            let locked = drain(&t)
            #expect(errorCode(locked) == .tooManyAttempts && locked.contains(.refused(reason: "sign-in-locked")))
            _ = t.open(id: "o", source: "office")
            t.signIn("o", user: "gw", password: "right", now: now + 1)
            #expect(drain(&t) == [.signal(session: "o", .signedIn(user: "gw", session: "o"))])
            t.close("o")
            now += wait
        }
        // Past the last wait the right password signs in.
        t.signIn("s", user: "gw", password: "right", now: now)
        #expect(drain(&t) == [.signal(session: "s", .signedIn(user: "gw", session: "s"))])
    }

    /// A right password (the registration succeeding) clears the count of wrong ones.
    @Test func aRightPasswordStartsTheCountAfresh() {
        var t = table()
        _ = t.open(id: "s", source: "x")
        for round in 0..<3 {
            for _ in 0..<4 {
                t.signIn("s", user: "1001", password: "guess", now: 0)
                t.registration(of: "1001", .failed(code: 401, reason: "Unauthorized"), now: 0)
            }
            #expect(!drain(&t).contains { if case .lockedOut = $0 { true } else { false } }, "round \(round)")
            t.signIn("s", user: "1001", password: "pw", now: 0)
            t.registration(of: "1001", .registered, now: 0)
            t.close("s")
            _ = drain(&t)
            _ = t.open(id: "s", source: "x")
        }
    }

    /// A browser signs in as a configured account by its password and shares the gateway's registration.
    @Test func aConfiguredAccountIsShared() {
        var t = table { $0.accounts = ["gw": "secret"] }
        t.registration(of: "gw", .registered, now: 0)
        _ = t.open(id: "s", source: "x")
        t.signIn("s", user: "gw", password: "secret", now: 0)
        #expect(drain(&t) == [.signal(session: "s", .signedIn(user: "gw", session: "s"))])
        t.close("s")
        #expect(drain(&t).isEmpty)   // no REGISTER of its own, none removed
        t.registration(of: "gw", .pending, now: 0)
        _ = t.open(id: "s2", source: "x")
        t.signIn("s2", user: "gw", password: "secret", now: 0)
        #expect(drain(&t).isEmpty && t["s2"]?.state == .signingIn)
        t.registration(of: "gw", .registered, now: 1)
        #expect(drain(&t) == [.signal(session: "s2", .signedIn(user: "gw", session: "s2"))])
    }

    @Test func anonymousSignInOnlyWhenConfigured() {
        var off = table()
        _ = off.open(id: "s", source: "x")
        #expect(off.signInAnonymously("s", user: "web") ==
                .error(SignalingError(.anonymousDisabled, "sign in with ID:PASSWORD (POST /sign_in)", request: "sign-in")))
        var on = table { $0.anonymousDestinations = ["echo"]; $0.accounts = ["gw": "pw"] }
        _ = on.open(id: "s", source: "x")
        #expect(on.signInAnonymously("s", user: "web") == .signedIn(user: "web", session: "s"))
        #expect(on["s"]?.anonymous == true)
        _ = on.open(id: "t", source: "x")
        guard case .error(let e) = on.signInAnonymously("t", user: "gw") else { Issue.record("signed in as an account"); return }
        #expect(e.code == .badUser)
    }
}
