import CGatewayTLS
import SDP

/// One DTLS-SRTP handshake (RFC 5764) as a sans-IO core over the OpenSSL
/// shim: datagrams in, datagrams out, timers by `now`.
public final class DTLSEndpoint {
    public enum Role: Sendable { case client, server }

    public struct SRTPKeys: Equatable, Sendable {
        public let profile: Int32     // gwm_srtp_profile numbering
        public let sendKey: [UInt8]
        public let receiveKey: [UInt8]
    }

    public enum State: Equatable, Sendable {
        case handshaking
        case connected(SRTPKeys)
        case failed(String)
        case closed
    }

    public let role: Role
    public private(set) var state: State = .handshaking
    private let handle: OpaquePointer
    private var timerDeadline: UInt64?
    private var started = false

    /// `expected` is the fingerprint from the peer's SDP; the handshake fails
    /// if its certificate does not match.
    public init(identity: DTLSIdentity, role: Role, expected: Fingerprint) throws(DTLSError) {
        guard let h = gwm_dtls_create(identity.handle, role == .server ? 1 : 0) else {
            throw .setupFailed("cannot create a DTLS endpoint")
        }
        guard gwm_dtls_expect_fingerprint(h, expected.algorithm, expected.value) == 0 else {
            gwm_dtls_destroy(h)
            throw .unsupportedFingerprint("\(expected.algorithm) \(expected.value)")
        }
        self.role = role
        handle = h
    }

    deinit { gwm_dtls_destroy(handle) }

    /// A client sends its ClientHello; a server waits for one.
    public func start(now: UInt64) -> [[UInt8]] {
        guard !started else { return [] }
        started = true
        if role == .client { update(gwm_dtls_start(handle), now: now) }
        return drain()
    }

    public func handle(_ datagram: [UInt8], now: UInt64) -> [[UInt8]] {
        started = true
        update(gwm_dtls_feed(handle, datagram, datagram.count), now: now)
        return drain()
    }

    public func poll(now: UInt64) -> [[UInt8]] {
        guard let deadline = timerDeadline, now >= deadline else { return [] }
        update(gwm_dtls_handle_timeout(handle), now: now)
        return drain()
    }

    /// When `poll` should run next.
    public var nextTimeout: UInt64? { timerDeadline }

    private func update(_ code: Int32, now: UInt64) {
        let ms = gwm_dtls_timeout_ms(handle)
        timerDeadline = ms >= 0 ? now + UInt64(ms) * 1000 : nil
        guard case .handshaking = state else {
            if code == Int32(GWM_DTLS_CLOSED) { state = .closed }
            return
        }
        switch code {
        case Int32(GWM_DTLS_CONNECTED):
            var profile: Int32 = 0
            var send = [UInt8](repeating: 0, count: 64)
            var receive = [UInt8](repeating: 0, count: 64)
            let n = gwm_dtls_srtp_keys(handle, &profile, &send, &receive, 64)
            state = n > 0 ? .connected(SRTPKeys(profile: profile, sendKey: Array(send.prefix(Int(n))),
                                                receiveKey: Array(receive.prefix(Int(n)))))
                          : .failed("cannot export SRTP keys")
            timerDeadline = nil
        case Int32(GWM_DTLS_FAILED):
            state = .failed(String(cString: gwm_dtls_failure(handle)))
            timerDeadline = nil
        case Int32(GWM_DTLS_CLOSED):
            state = .closed
        default:
            break
        }
    }

    private func drain() -> [[UInt8]] {
        var out: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            let n = gwm_dtls_pull(handle, &buffer, buffer.count)
            if n <= 0 { break }
            out.append(Array(buffer.prefix(Int(n))))
        }
        return out
    }
}
