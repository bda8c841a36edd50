import SDP
import STUN
import WebRTC

private let local = ICECredentials(ufrag: "gwuf", pwd: "gateway-password-0123456")
private let browser = TransportAddress(ip: [127, 0, 0, 1], port: 50000)

/// libFuzzer target for STUN as the browser leg's socket hands it over: the
/// decoder (with and without an integrity key), then the ICE-lite agent, with
/// the datagram as it came and signed with the agent's password (so that the
/// checks past integrity are reached), at ordinary and far clocks. No crash,
/// and a message that decodes must survive encode -> decode.
public func fuzzSTUN(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var agent = ICELiteAgent(local: local, remote: ICECredentials(ufrag: "brws", pwd: "x"))
    _ = agent.handle(stun: bytes, from: browser, now: 0)
    _ = try? STUNCoder.decode(bytes, integrityKey: Array("password".utf8))
    guard let m = try? STUNCoder.decode(bytes) else { return 0 }
    _ = (m.username, m.priority, m.errorCode, m.xorMappedAddress, m.unknownRequiredAttributes)
    let encoded = STUNCoder.encode(m, integrityKey: Array("k".utf8))
    guard let back = try? STUNCoder.decode(encoded, integrityKey: Array("k".utf8)), back == m else {
        fatalError("STUN did not round-trip")
    }
    let signed = STUNCoder.encode(m, integrityKey: Array(local.pwd.utf8))
    for now in [UInt64(1), 29_000_000, UInt64.max - 1] {
        _ = agent.handle(stun: signed, from: browser, now: now)
        _ = agent.poll(now: now)
    }
    _ = agent.nextTimeout
    return 0
}
