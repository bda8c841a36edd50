import CGatewayMedia
import MediaCore
import SDP
import STUN
import WebRTC

/// What a browser does on its media path, as a sans-IO core: ICE as the
/// controlling agent (Binding requests with USE-CANDIDATE to the gateway's
/// candidate, RFC 8445 §7.2), DTLS as the client once a check succeeded
/// (RFC 5763), then SRTP with the keys DTLS gave, and a consent check every
/// 5 s (RFC 7675: without them the gateway ends the call after 30 s).
/// Datagrams in with `now`, datagrams out; one `nextTimeout`.
final class PeerSession {
    enum State: Equatable { case checking, handshaking, connected, failed(String) }

    struct Remote {
        let ufrag: String
        let pwd: String
        let fingerprint: Fingerprint
        let host: String
        let port: UInt16

        /// The gateway's ICE credentials, fingerprint and candidate from its answer.
        init?(answer sdp: String) {
            guard let session = try? SDPParser.parse(sdp), let audio = session.media.first,
                  let candidate = audio.candidates.first else { return nil }
            func attribute(_ name: String) -> String? { audio.attributes.first(name) ?? session.attributes.first(name) }
            guard let ufrag = attribute("ice-ufrag"), let pwd = attribute("ice-pwd"),
                  let print = attribute("fingerprint")?.split(separator: " "), print.count == 2 else { return nil }
            self.ufrag = ufrag
            self.pwd = pwd
            fingerprint = Fingerprint(algorithm: String(print[0]), value: String(print[1]))
            host = candidate.address
            port = candidate.port
        }
    }

    private(set) var state = State.checking
    let localUfrag: String
    let localPwd: String
    let remote: Remote
    private let dtls: DTLSEndpoint
    private var sender: SRTPContext?
    private var receiver: SRTPContext?
    private let tiebreaker = UInt64.random(in: 1...UInt64.max)
    private var transaction: [UInt8] = []
    private var nextCheck: UInt64 = 0
    private var checkInterval: UInt64 = 50_000
    private let giveUpAt: UInt64
    static let consentInterval: UInt64 = 5_000_000

    init(localUfrag: String, localPwd: String, remote: Remote, identity: DTLSIdentity, now: UInt64) throws {
        self.localUfrag = localUfrag
        self.localPwd = localPwd
        self.remote = remote
        dtls = try DTLSEndpoint(identity: identity, role: .client, expected: remote.fingerprint)
        giveUpAt = now + 15_000_000
    }

    var nextTimeout: UInt64? {
        switch state {
        case .checking, .connected: nextCheck
        case .handshaking: dtls.nextTimeout
        case .failed: nil
        }
    }

    /// Checks sent again until one succeeds (RFC 8445 §14 pacing, doubling), DTLS retransmissions.
    func poll(now: UInt64) -> [[UInt8]] {
        if now >= giveUpAt, state == .checking || state == .handshaking { state = .failed("no connection in 15 s") }
        switch state {
        case .checking where now >= nextCheck:
            nextCheck = now + checkInterval
            checkInterval = min(checkInterval * 2, 500_000)
            return [bindingRequest()]
        case .handshaking: return dtls.poll(now: now)
        case .connected where now >= nextCheck:
            nextCheck = now + Self.consentInterval
            return [bindingRequest()]
        default: return []
        }
    }

    /// A datagram from the gateway: what to send back, and the RTP packet it carried (SRTP removed), if any.
    func receive(_ datagram: [UInt8], now: UInt64) -> (send: [[UInt8]], rtp: [UInt8]?) {
        guard let first = datagram.first else { return ([], nil) }
        switch first {
        case 0...3:
            if let request = try? STUNCoder.decode(datagram, integrityKey: Array(localPwd.utf8)),
               request.messageClass == .request {
                return ([answer(request)], nil)   // a full ICE agent's own checks (rtpengine's)
            }
            guard state == .checking, let message = try? STUNCoder.decode(datagram, integrityKey: Array(remote.pwd.utf8)),
                  message.messageClass == .success, message.transactionID == transaction else { return ([], nil) }
            state = .handshaking
            return (dtls.start(now: now), nil)
        case 20...63:
            let out = dtls.handle(datagram, now: now)
            switch dtls.state {
            case .connected(let keys) where state == .handshaking:
                nextCheck = now + Self.consentInterval
                let profile = gwm_srtp_profile(UInt32(bitPattern: keys.profile))
                sender = try? SRTPContext(profile: profile, direction: GWM_SRTP_SEND, key: keys.sendKey)
                receiver = try? SRTPContext(profile: profile, direction: GWM_SRTP_RECEIVE, key: keys.receiveKey)
                state = sender != nil && receiver != nil ? .connected : .failed("SRTP keys refused")
            case .failed(let why): state = .failed("DTLS: \(why)")
            default: break
            }
            return (out, nil)
        case 128...191:
            guard state == .connected, datagram.count > 1, !(192...223).contains(datagram[1]) else { return ([], nil) }
            return ([], try? receiver?.unprotect(datagram))
        default:
            return ([], nil)
        }
    }

    /// An RTP packet of ours, protected; nil before the keys.
    func protect(_ rtp: [UInt8]) -> [UInt8]? { try? sender?.protect(rtp) }

    private func answer(_ request: STUNMessage) -> [UInt8] {
        let address = remote.host.split(separator: ".").compactMap { UInt8($0) }
        let success = STUNMessage(class: .success, transactionID: request.transactionID, attributes: [
            .xorMapped(address: address, port: remote.port, transactionID: request.transactionID),
        ])
        return STUNCoder.encode(success, integrityKey: Array(localPwd.utf8))
    }

    private func bindingRequest() -> [UInt8] {
        transaction = (0..<12).map { _ in UInt8.random(in: 0...255) }
        let request = STUNMessage(class: .request, transactionID: transaction, attributes: [
            .username("\(remote.ufrag):\(localUfrag)"), .priority(0x6E00_01FF), .controlling(tiebreaker), .useCandidateFlag,
        ])
        return STUNCoder.encode(request, integrityKey: Array(remote.pwd.utf8))
    }
}
