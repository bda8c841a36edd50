import SDP
import Testing
@testable import WebRTC

/// Two endpoints of our own shim handshake in memory. (The real-peer
/// handshakes, with Chromium and aiortc, are in Tests/interop.)
@Suite struct DTLSEndpointTests {
    static let serverIdentity = try! DTLSIdentity()
    static let clientIdentity = try! DTLSIdentity()

    private func run(_ client: DTLSEndpoint, _ server: DTLSEndpoint) {
        var toServer = client.start(now: 0)
        var rounds = 0
        while rounds < 20 {
            rounds += 1
            let toClient = toServer.flatMap { server.handle($0, now: 0) }
            toServer = toClient.flatMap { client.handle($0, now: 0) }
            if toServer.isEmpty && toClient.isEmpty { break }
        }
    }

    @Test func handshakesAndExportsMirroredSRTPKeys() throws {
        let client = try DTLSEndpoint(identity: Self.clientIdentity, role: .client, expected: Self.serverIdentity.fingerprint)
        let server = try DTLSEndpoint(identity: Self.serverIdentity, role: .server, expected: Self.clientIdentity.fingerprint)
        #expect(Self.serverIdentity.fingerprint.value.count == 95)
        run(client, server)
        guard case .connected(let c) = client.state, case .connected(let s) = server.state else {
            Issue.record("not connected: \(client.state) / \(server.state)")
            return
        }
        #expect(c.profile == s.profile && [1, 2, 7].contains(c.profile))
        #expect(c.sendKey == s.receiveKey && c.receiveKey == s.sendKey && c.sendKey != c.receiveKey)
        #expect(c.sendKey.count == (c.profile == 7 ? 28 : 30))
    }

    @Test func aFingerprintMismatchFailsTheHandshakeWithAReason() throws {
        let wrong = Fingerprint(algorithm: "sha-256", value: Array(repeating: "AB", count: 32).joined(separator: ":"))
        let client = try DTLSEndpoint(identity: Self.clientIdentity, role: .client, expected: wrong)
        let server = try DTLSEndpoint(identity: Self.serverIdentity, role: .server, expected: Self.clientIdentity.fingerprint)
        run(client, server)
        guard case .failed(let reason) = client.state else { Issue.record("client: \(client.state)"); return }
        #expect(reason.contains("does not match the SDP fingerprint"))
        if case .connected = server.state { Issue.record("the server must not finish against a rejecting client") }
    }

    @Test func refusesUnknownFingerprintAlgorithms() {
        #expect(throws: DTLSError.self) {
            try DTLSEndpoint(identity: Self.clientIdentity, role: .client, expected: Fingerprint(algorithm: "md5", value: "AB"))
        }
    }

    @Test func aClientHelloArmsTheRetransmissionTimer() throws {
        let client = try DTLSEndpoint(identity: Self.clientIdentity, role: .client, expected: Self.serverIdentity.fingerprint)
        let hello = client.start(now: 5_000_000)
        #expect(hello.count == 1 && hello[0][0] == 22) // a handshake record
        let deadline = try #require(client.nextTimeout)
        #expect(deadline > 5_000_000 && deadline <= 6_000_000) // OpenSSL starts at 1 s
        #expect(client.poll(now: 5_000_000).isEmpty)
    }
}
