import SIP
import Testing

private func account(password: String = "secret") -> RegistrationClient.Account {
    RegistrationClient.Account(aor: try! SIPURI(parsing: "sip:1001@example.com"),
                               registrar: try! SIPURI(parsing: "sip:example.com"),
                               contact: try! SIPURI(parsing: "sip:1001@127.0.0.1:5080"),
                               credentials: DigestCredentials(username: "1001", password: password),
                               via: ("UDP", "127.0.0.1", 5080))
}

private func counter() -> () -> String {
    var n = 0
    return { n += 1; return "t\(n)" }
}

private func challenge(_ r: SIPRequest, stale: Bool = false) -> SIPResponse {
    var c = TransactionLayer.response(to: r, .unauthorized, toTag: "x")
    c.headers.add("WWW-Authenticate", "Digest realm=\"example.com\", nonce=\"n1\", qop=\"auth\", algorithm=MD5" +
                  (stale ? ", stale=true" : ""))
    return c
}

@Suite struct RegistrationTests {
    @Test func answersAChallengeRegistersAndRefreshes() throws {
        let client = RegistrationClient(account: account(), token: counter())
        let first = client.start(now: 0)
        #expect(first.headers["Authorization"] == nil && first.headers["Expires"] == "3600")
        let second = try #require(client.handle(challenge(first), now: 1000))
        let auth = try #require(second.headers["Authorization"])
        #expect(auth.contains("username=\"1001\"") && auth.contains("nc=00000001") && auth.contains("uri=\"sip:example.com\""))
        #expect(second.headers["CSeq"] == "2 REGISTER" && second.headers["Call-ID"] == first.headers["Call-ID"])

        // Our own registrar answers it (the tests with sipp and kamailio check the digest itself).
        let registrar = Registrar()
        let ok = registrar.register(second, from: SIPPeer(.udp, host: "127.0.0.1", port: 5080), now: 0, toTag: "r")
        #expect(ok.statusCode == 200 && ok.headers.values("Contact").count == 1)
        var shorter = ok
        shorter.headers.set("Contact", "<sip:1001@127.0.0.1:5080>;expires=600")
        #expect(client.handle(shorter, now: 2_000_000) == nil)
        #expect(client.state == .registered(expires: 600))
        #expect(client.nextTimeout == 2_000_000 + 300_000_000)
        let refresh = try #require(client.poll(now: 302_000_000))
        #expect(refresh.headers["CSeq"] == "3 REGISTER" && refresh.headers["Authorization"]!.contains("nc=00000002"))
        #expect(registrar.lookup("1001@example.com", now: 0).count == 1)
    }

    @Test func aWrongPasswordFailsCleanlyAndBacksOff() throws {
        let client = RegistrationClient(account: account(password: "wrong"), token: counter())
        var r = client.start(now: 0)
        for _ in 0..<2 { r = try #require(client.handle(challenge(r), now: 0)) }
        #expect(client.handle(challenge(r), now: 0) == nil)
        #expect(client.state == .failed(code: 401, reason: "credentials refused"))
        #expect(client.nextTimeout == 30_000_000)                   // retry later, not in a loop
        #expect(client.timedOut(now: 40_000_000) == nil)
        #expect(client.nextTimeout == 40_000_000 + 60_000_000)      // and later still
    }

    @Test func unregisterRemovesTheBinding() throws {
        let client = RegistrationClient(account: account(), token: counter())
        let registrar = Registrar()
        let peer = SIPPeer(.udp, host: "127.0.0.1", port: 5080)
        _ = client.handle(registrar.register(client.start(now: 0), from: peer, now: 0, toTag: "r"), now: 0)
        let bye = client.unregister(now: 1)
        #expect(bye.headers["Expires"] == "0")
        _ = client.handle(registrar.register(bye, from: peer, now: 1, toTag: "r"), now: 1)
        #expect(client.state == .unregistered && registrar.lookup("1001@example.com", now: 1).isEmpty)
    }
}
