import HTTPEdge
import Testing

@Suite struct TrustedProxiesTests {
    let proxies = TrustedProxies(["10.0.0.5"])

    /// Only the address the trusted proxy appended counts; what the client wrote before it proves nothing.
    @Test func theLastForwardedAddressOfATrustedProxy() {
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: ["198.51.100.7"]) == "198.51.100.7")
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: ["1.2.3.4, 198.51.100.7"]) == "198.51.100.7")
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: ["1.2.3.4", " 2001:db8::7 "]) == "2001:db8::7")
    }

    /// Anyone else's header is ignored; a proxy's that names no address leaves the proxy as the source.
    @Test func othersAndNonsenseAreNotTaken() {
        #expect(proxies.client(peer: "203.0.113.9", forwardedFor: ["198.51.100.7"]) == "203.0.113.9")
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: []) == "10.0.0.5")
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: ["unknown"]) == "10.0.0.5")
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: ["999.1.1.1"]) == "10.0.0.5")
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: [String(repeating: "1", count: 100)]) == "10.0.0.5")
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: ["1.2.3.4,"]) == "10.0.0.5")
    }
}
