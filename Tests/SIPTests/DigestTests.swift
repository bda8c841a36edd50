import SIP
import Testing

@Suite struct DigestTests {
    /// RFC 2617 §3.5 (MD5, qop=auth), the example everyone checks against.
    @Test func matchesTheRFC2617Example() throws {
        let c = try #require(DigestChallenge("""
            Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", \
            opaque="5ccc069c403ebaf9f0171e9517f40e41"
            """))
        let auth = DigestCredentials(username: "Mufasa", password: "Circle Of Life")
            .authorization(for: c, method: "GET", uri: "/dir/index.html", nonceCount: 1, cnonce: "0a4f113b")
        #expect(auth.contains("response=\"6629fae49393a05397450978507c4ef1\""))
        #expect(auth.contains("nc=00000001") && auth.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""))
    }

    /// RFC 7616 §3.9.1 (SHA-256).
    @Test func matchesTheRFC7616SHA256Example() throws {
        let c = try #require(DigestChallenge("""
            Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, \
            nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
            """))
        let auth = DigestCredentials(username: "Mufasa", password: "Circle of Life")
            .authorization(for: c, method: "GET", uri: "/dir/index.html", nonceCount: 1,
                           cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
        #expect(auth.contains("response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""))
        #expect(c.isSupported && c.algorithm == "SHA-256")
    }

    @Test func readsStaleAndRejectsOtherSchemes() throws {
        #expect(try #require(DigestChallenge("Digest realm=\"r\", nonce=\"n\", stale=TRUE")).stale)
        #expect(DigestChallenge("Basic realm=\"r\"") == nil)
        #expect(DigestChallenge("Digest realm=\"r\"") == nil)          // no nonce
        #expect(DigestChallenge("Digest realm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5")?.isSupported == false)
    }
}

/// The embedded server's side of Digest: challenge, check, and a nonce that is
/// its own and fresh; the gateway's own client answers it.
@Suite struct DigestVerifierTests {
    let verifier = DigestVerifier(realm: "example.com", accounts: ["1001": "secret"], secret: Array("s3cr3t".utf8))

    private func register(user: String = "1001") -> SIPRequest {
        let text = "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK1\r\n" +
            "From: <sip:\(user)@example.com>;tag=1\r\nTo: <sip:\(user)@example.com>\r\nCall-ID: r\r\nCSeq: 1 REGISTER\r\n" +
            "Contact: <sip:\(user)@127.0.0.1:5080>\r\nContent-Length: 0\r\n\r\n"
        guard case .request(let r) = try! SIPParser.parse(Array(text.utf8), framing: .datagram).message else { fatalError() }
        return r
    }

    private func answered(_ r: SIPRequest, password: String, username: String = "1001", challengeAt: UInt64) -> SIPRequest {
        let challenge = DigestChallenge(verifier.challenge(now: challengeAt))!
        var authorized = r
        authorized.headers.add("Authorization", DigestCredentials(username: username, password: password)
            .authorization(for: challenge, method: "REGISTER", uri: "sip:example.com", nonceCount: 1, cnonce: "c"))
        return authorized
    }

    @Test func challengesChecksAndExpires() throws {
        let demand = try #require(verifier.demand(for: register(), now: 0, toTag: "t"))
        #expect(demand.statusCode == 401 && demand.headers["WWW-Authenticate"]?.contains("qop=\"auth\"") == true)
        #expect(verifier.demand(for: answered(register(), password: "secret", challengeAt: 0), now: 1, toTag: "t") == nil)
        #expect(verifier.demand(for: answered(register(), password: "wrong", challengeAt: 0), now: 1, toTag: "t")?.statusCode == 401)
        // Someone else's binding with one's own good credentials.
        #expect(verifier.demand(for: answered(register(user: "2000"), password: "secret", challengeAt: 0), now: 1, toTag: "t")?
            .statusCode == 403)
        // A nonce past its lifetime: challenged again, as stale.
        let late = verifier.demand(for: answered(register(), password: "secret", challengeAt: 0),
                                   now: DigestVerifier.nonceLifetime + 1, toTag: "t")
        #expect(late?.statusCode == 401 && late?.headers["WWW-Authenticate"]?.contains("stale=true") == true)
        // A nonce this server did not make.
        let other = DigestVerifier(realm: "example.com", accounts: ["1001": "secret"], secret: Array("other".utf8))
        #expect(other.demand(for: answered(register(), password: "secret", challengeAt: 0), now: 1, toTag: "t")?.statusCode == 401)
    }

    @Test func theGatewaysOwnRegistrationClientGetsThrough() throws {
        let client = RegistrationClient(account: .init(aor: try SIPURI(parsing: "sip:1001@example.com"),
                                                       registrar: try SIPURI(parsing: "sip:example.com"),
                                                       contact: try SIPURI(parsing: "sip:1001@127.0.0.1:5080"),
                                                       credentials: DigestCredentials(username: "1001", password: "secret"),
                                                       via: ("UDP", "127.0.0.1", 5080)), token: { "x" })
        let first = client.start(now: 0)
        let challenge = try #require(verifier.demand(for: first, now: 0, toTag: "t"))
        let second = try #require(client.handle(challenge, now: 0))
        #expect(verifier.demand(for: second, now: 1, toTag: "t") == nil)
    }
}
