import CGatewayMedia
import Logging
import MediaCore
import NIOCore
import NIOPosix
import SDP
import WebRTC

/// Opens the browser leg of a call from the browser's offer: negotiates the
/// audio, binds a media port, starts the session and returns the answer.
public final class BrowserLegFactory: Sendable {
    public struct Settings: Sendable {
        public var mediaIP: String
        public var codecs: [AudioCodec] = [.opus, .pcmu, .pcma]
        /// Our DTLS role when the browser offers actpass.
        public var preferredSetup: DTLSSetup = .passive
        public init(mediaIP: String) { self.mediaIP = mediaIP }
    }

    /// A browser that does not complete ICE and DTLS within this (microseconds)
    /// loses the leg and its port: browsers on loopback take ~0.1 s, across the
    /// internet (TURN relays included) a few seconds.
    static let setupTimeout: UInt64 = 15_000_000

    public enum Failure: Error, CustomStringConvertible {
        case notAcceptable(String)
        case noMediaPort
        public var description: String {
            switch self {
            case .notAcceptable(let why): "offer not acceptable: \(why)"
            case .noMediaPort: "no free media port"
            }
        }
    }

    let group: EventLoopGroup
    let identity: DTLSIdentity
    let ports: MediaPortPool
    let registry: SessionRegistry
    let logger: Logger

    public init(group: EventLoopGroup, identity: DTLSIdentity, ports: MediaPortPool, registry: SessionRegistry,
                logger: Logger) {
        self.group = group
        self.identity = identity
        self.ports = ports
        self.registry = registry
        self.logger = logger
    }

    /// `otherLeg` is made on the session's event loop; `onEnd` is called there
    /// when the browser goes (ICE consent lost, DTLS closed or failed).
    public func open(offer: SessionDescription, settings: Settings, legB: gwm_leg_config,
                     on chosen: EventLoop? = nil, otherLeg: @escaping @Sendable (EventLoop) -> OtherLeg,
                     onEnd: (@Sendable (String) -> Void)? = nil) -> EventLoopFuture<BrowserLeg> {
        let loop = chosen ?? group.next()
        let offerAt = BrowserLegHandler.now()
        let agreed: NegotiatedAudio
        do {
            agreed = try AudioNegotiation.negotiate(offer, codecs: settings.codecs)
        } catch {
            return loop.makeFailedFuture(Failure.notAcceptable("\(error)"))
        }
        guard let port = ports.acquire() else { return loop.makeFailedFuture(Failure.noMediaPort) }
        let id = Random.token(12)
        let ice = ICECredentials(ufrag: Random.token(8), pwd: Random.token(24))
        var local = LocalAudioParameters(address: settings.mediaIP, port: port, codecs: settings.codecs,
                                         ssrc: Random.ssrc(), cname: Random.token(16), sessionID: Random.digits(18))
        local.ice = (ice.ufrag, ice.pwd)
        local.candidates = [Candidate(foundation: "1", component: 1, transport: "udp", priority: 2_130_706_431,
                                      address: settings.mediaIP, port: port, type: "host")]

        let dtlsRole: DTLSEndpoint.Role?
        var sdesKeys: SDESKeys?
        switch agreed.security {
        case .dtls(let fingerprints, let remoteSetup):
            let setup: DTLSSetup = switch remoteSetup {
            case .active: .passive
            case .passive: .active
            default: settings.preferredSetup == .active ? .active : .passive
            }
            local.dtls = (identity.fingerprint, setup)
            dtlsRole = setup == .active ? .client : .server
            _ = fingerprints
        case .sdes(let crypto):
            guard let keys = SDESKeys.answering(crypto) else {
                ports.release(port)
                return loop.makeFailedFuture(Failure.notAcceptable("a=crypto key of the wrong length"))
            }
            local.sdes = [keys.attribute]
            sdesKeys = keys
            dtlsRole = nil
        case .none:
            ports.release(port)
            return loop.makeFailedFuture(Failure.notAcceptable("the browser leg must be secure (DTLS-SRTP or SDES)"))
        }
        let answer = AudioNegotiation.answer(offer, agreed: agreed, local: local)

        var cfg = MediaBridge.defaultConfig()
        cfg.legs.0 = MediaBridge.legConfig(cfg.legs.0, agreed: agreed, ssrc: local.ssrc, requireSRTP: true)
        cfg.legs.1 = legB
        let registry = self.registry
        let logger = self.logger
        let ports = self.ports
        let identity = self.identity
        return DatagramBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                do {
                    let bridge = try MediaBridge(config: cfg)
                    var dtls: DTLSEndpoint?
                    if let role = dtlsRole, case .dtls(let fps, _) = agreed.security {
                        dtls = try DTLSEndpoint(identity: identity, role: role, expected: fps[0])
                    }
                    if let sdesKeys, let receive = sdesKeys.receive {
                        try bridge.setSRTP(sdesKeys.profile, on: GWM_LEG_A, sendKey: sdesKeys.send, receiveKey: receive)
                    }
                    var agent = ICELiteAgent(local: ice, remote: agreed.remoteICE)
                    for c in agreed.remoteCandidates { agent.addRemoteCandidate(c) }
                    let session = BrowserMediaSession(ice: agent, dtls: dtls, bridge: bridge,
                                                      setupDeadline: BrowserLegHandler.now() + Self.setupTimeout)
                    let handler = BrowserLegHandler(session: session, otherLeg: otherLeg(channel.eventLoop), registry: registry,
                                                    id: id, offerAt: offerAt, logger: logger, onEnd: onEnd)
                    return channel.pipeline.addHandler(handler)
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .bind(host: settings.mediaIP, port: Int(port))
            .map { channel in
                registry.update(id) { _ in }
                let security = dtlsRole.map { "DTLS \($0)" } ?? "SDES"
                logger.info("browser leg \(id) on \(settings.mediaIP):\(port): \(agreed.codec.encodingName), \(security)")
                channel.closeFuture.whenComplete { _ in
                    ports.release(port)
                    // Keep the final status readable for a while, then forget it.
                    channel.eventLoop.scheduleTask(in: .seconds(120)) { registry.remove(id) }
                }
                return BrowserLeg(id: id, answer: answer, agreed: agreed, channel: channel)
            }
            .flatMapErrorThrowing { error in
                ports.release(port)
                throw error
            }
    }

}

extension MediaBridge {
    /// A leg of the bridge from `base`, sending and taking what one side's
    /// offer/answer agreed (nil: `base`'s codec, before an answer), with our
    /// SSRC and random first sequence number and timestamp (RFC 3550 §5.1).
    static func legConfig(_ base: gwm_leg_config, agreed: NegotiatedAudio?, ssrc: UInt32,
                          requireSRTP: Bool) -> gwm_leg_config {
        var leg = base
        if let agreed {
            leg.codec = agreed.codec.mediaCodec
            leg.payload_type = agreed.payloadType
            leg.dtmf_payload_type = agreed.dtmfPayloadType.map { Int16($0) } ?? -1
            leg.dtmf_clock_rate = agreed.dtmfClockRate ?? 0
            if let ptime = agreed.ptime, [10, 20, 30, 40, 60].contains(ptime) { leg.ptime_ms = UInt32(ptime) }
        }
        leg.ssrc = ssrc
        leg.initial_sequence = UInt16.random(in: 0...0x7fff)
        leg.initial_timestamp = UInt32.random(in: 0...UInt32.max)
        leg.require_srtp = requireSRTP ? 1 : 0
        return leg
    }
}

extension AudioCodec {
    var mediaCodec: gwm_codec {
        switch self {
        case .opus: GWM_CODEC_OPUS
        case .pcmu: GWM_CODEC_PCMU
        case .pcma: GWM_CODEC_PCMA
        }
    }
}

extension SRTPSuite {
    var profile: gwm_srtp_profile {
        switch self {
        case .aesCM128HMACSHA1_80: GWM_SRTP_AES128_CM_SHA1_80
        case .aesCM128HMACSHA1_32: GWM_SRTP_AES128_CM_SHA1_32
        case .aeadAES128GCM: GWM_SRTP_AEAD_AES_128_GCM
        }
    }
}

/// Identifiers and keys from the system's CSPRNG.
enum Random {
    /// Letters and digits: valid in ICE credentials, CNAMEs and URLs alike.
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    static func token(_ length: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet.randomElement(using: &rng)! })
    }

    static func digits(_ length: Int) -> String { String((0..<length).map { _ in "0123456789".randomElement()! }) }

    static func bytes(_ count: Int) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func ssrc() -> UInt32 { UInt32.random(in: 1...UInt32.max) }
}
