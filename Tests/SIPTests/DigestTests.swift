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
