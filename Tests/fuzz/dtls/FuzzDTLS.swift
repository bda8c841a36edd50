import SDP
import WebRTC

// One identity for every run: making a certificate per input would be all the fuzzer did.
private let identity = try! DTLSIdentity()
private let peer = Fingerprint(algorithm: "sha-256", value: [String](repeating: "AB", count: 32).joined(separator: ":"))

/// libFuzzer target for DTLS records as the browser leg's socket hands them
/// over: the input, cut into datagrams at its 0x00 0x00 0x00 0x00 markers,
/// goes to a fresh server endpoint and to a client endpoint that has started
/// its handshake, then both run their timers. No crash, and no state but
/// handshaking or failed (nothing here has the peer's certificate).
public func fuzzDTLS(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let datagrams = bytes.split(separator: 0, maxSplits: 16, omittingEmptySubsequences: true).map(Array.init)
    for role in [DTLSEndpoint.Role.server, .client] {
        guard let endpoint = try? DTLSEndpoint(identity: identity, role: role, expected: peer) else { continue }
        if role == .client { _ = endpoint.start(now: 0) }
        for (n, datagram) in ([bytes] + datagrams).enumerated() { _ = endpoint.handle(datagram, now: UInt64(n) * 1000) }
        _ = endpoint.poll(now: 10_000_000)
        if case .connected = endpoint.state { fatalError("a handshake completed without the peer's certificate") }
    }
    return 0
}
