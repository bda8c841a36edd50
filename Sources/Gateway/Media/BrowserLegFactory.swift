import Logging
import GatewayCore
import MediaCore
import MediaTypes
import NIOCore
import NIOPosix
import SDP
import ShellSupport
import WebRTC

/// Opens the browser leg of a call from the browser's offer: negotiates the
/// audio, binds a media port, starts the session and returns the answer.
public final class BrowserLegFactory: Sendable {
    public struct Settings: Sendable {
        /// Where the leg's socket is bound.
        public var mediaIP: String
        /// The address in the SDP and the ICE candidate: the bound one, or the public one a NAT maps to it.
        public var advertisedIP: String
        public var codecs: [AudioCodec] = [.opus, .pcmu, .pcma]
        /// Our DTLS role when the browser offers actpass.
        public var preferredSetup: DTLSSetup = .passive
        /// The Opus encoder's complexity toward the browser (when the call is transcoded).
        public var opusComplexity: Int32 = 5
        public init(mediaIP: String, advertisedIP: String? = nil) {
            self.mediaIP = mediaIP
            self.advertisedIP = advertisedIP ?? mediaIP
        }
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
    private let timers = MediaTimersByLoop()

    public init(group: EventLoopGroup, identity: DTLSIdentity, ports: MediaPortPool, registry: SessionRegistry,
                logger: Logger) {
        self.group = group
        self.identity = identity
        self.ports = ports
        self.registry = registry
        self.logger = logger
    }

    /// Our side of a leg about to open: what was agreed, our ICE credentials and
    /// parameters (the port among them), the DTLS role or SDES keys, and our
    /// answer-shaped description.
    fileprivate struct Plan {
        var agreed: NegotiatedAudio
        var ice: ICECredentials
        var local: LocalAudioParameters
        var dtlsRole: DTLSEndpoint.Role?
        var sdesKeys: SDESKeys?
        var answer: SessionDescription
    }

    /// Opens a leg from the browser's offer (we answer it) or from its answer
    /// to our offer (on the port that offer named, which is the leg's from now
    /// on). `otherLeg` is made on the session's event loop; `onEnd` is called
    /// there, with the leg's id, when the browser goes (ICE consent lost, DTLS
    /// closed or failed); not when the leg is closed by `BrowserLeg.close`.
    public func open(_ sdp: BrowserLegSDP, settings: Settings, other: MediaBridge.LegSettings,
                     on chosen: EventLoop? = nil, otherLeg: @escaping @Sendable (EventLoop) -> OtherLeg,
                     onEnd: (@Sendable (_ leg: String, BrowserLegEnding) -> Void)? = nil) -> EventLoopFuture<BrowserLeg> {
        let loop = chosen ?? group.next()
        let offerAt = BrowserLegHandler.now()
        let plan: Plan
        do {
            switch sdp {
            case .offer(let offer): plan = try answering(offer, settings: settings)
            case .answer(let answer, let ours): plan = try opening(ours, answeredBy: answer)
            }
        } catch {
            return loop.makeFailedFuture(error)
        }
        return bind(plan, settings: settings, other: other, loop: loop, offerAt: offerAt, otherLeg: otherLeg, onEnd: onEnd)
    }

    /// Our side for the browser's offer: a port, ICE credentials, and our answer.
    private func answering(_ offer: SessionDescription, settings: Settings) throws(Failure) -> Plan {
        let agreed: NegotiatedAudio
        do {
            agreed = try AudioNegotiation.negotiate(offer, codecs: settings.codecs)
        } catch {
            throw .notAcceptable("\(error)")
        }
        guard let port = ports.acquire() else { throw .noMediaPort }
        let ice = ICECredentials(ufrag: Random.token(8), pwd: Random.token(24))
        var local = LocalAudioParameters(address: settings.advertisedIP, port: port, codecs: settings.codecs,
                                         ssrc: Random.ssrc(), cname: Random.token(16), sessionID: Random.digits(18))
        local.ice = (ice.ufrag, ice.pwd)
        local.candidates = [.host(settings.advertisedIP, port: port)]
        var plan = Plan(agreed: agreed, ice: ice, local: local, answer: offer)
        switch agreed.security {
        case .dtls(_, let remoteSetup):
            plan.setDTLS(remoteSetup: remoteSetup, preferred: settings.preferredSetup, identity: identity)
        case .sdes(let crypto):
            guard let keys = SDESKeys.answering(crypto) else {
                ports.release(port)
                throw .notAcceptable("a=crypto key of the wrong length")
            }
            plan.local.sdes = [keys.attribute]
            plan.sdesKeys = keys
        case .none:
            ports.release(port)
            throw .notAcceptable("the browser leg must be secure (DTLS-SRTP or SDES)")
        }
        plan.answer = AudioNegotiation.answer(offer, agreed: agreed, local: plan.local)
        return plan
    }

    /// Our side as our offer set it, for the browser's answer to it.
    private func opening(_ ours: BrowserOffer, answeredBy answer: SessionDescription) throws(Failure) -> Plan {
        let port = ours.local.port
        guard let agreed = try? AudioNegotiation.negotiate(answer, codecs: ours.local.codecs, isAnswer: true),
              case .dtls(_, let remoteSetup) = agreed.security, let ice = ours.local.ice else {
            ports.release(port)
            throw .notAcceptable("the answer to our offer has no usable audio with DTLS-SRTP")
        }
        var plan = Plan(agreed: agreed, ice: ICECredentials(ufrag: ice.ufrag, pwd: ice.pwd), local: ours.local, answer: answer)
        // We offered actpass: the answer chooses (RFC 5763 §5); one that does not is taken as active.
        plan.setDTLS(remoteSetup: remoteSetup == .passive ? .passive : .active, preferred: .passive, identity: identity)
        plan.answer = AudioNegotiation.answer(answer, agreed: agreed, local: plan.local)
        return plan
    }

    private func bind(_ plan: Plan, settings: Settings, other: MediaBridge.LegSettings, loop: EventLoop, offerAt: UInt64,
                      otherLeg: @escaping @Sendable (EventLoop) -> OtherLeg,
                      onEnd: (@Sendable (_ leg: String, BrowserLegEnding) -> Void)?) -> EventLoopFuture<BrowserLeg> {
        let id = Random.token(12)
        let (agreed, ice, local, dtlsRole, sdesKeys, answer) = (plan.agreed, plan.ice, plan.local, plan.dtlsRole, plan.sdesKeys, plan.answer)
        let port = local.port
        var browser = MediaBridge.LegSettings.agreed(agreed, on: .browser, ssrc: local.ssrc, requireSRTP: true)
        browser.opusComplexity = settings.opusComplexity
        let legEnded: (@Sendable (BrowserLegEnding) -> Void)? = onEnd.map { end in { @Sendable ending in end(id, ending) } }
        let registry = self.registry
        let logger = self.logger
        let ports = self.ports
        let identity = self.identity
        let timers = self.timers.timers(on: loop)
        let browserSettings = browser
        return UDPSocket.open(on: loop, host: settings.mediaIP, port: port) { channel, socket in
            let bridge = try MediaBridge(browser: browserSettings, other: other)
            var dtls: DTLSEndpoint?
            if let role = dtlsRole, case .dtls(let fps, _) = agreed.security {
                dtls = try DTLSEndpoint(identity: identity, role: role, expected: fps[0])
            }
            if let sdesKeys, let receive = sdesKeys.receive {
                try bridge.setSRTP(sdesKeys.suite, on: .browser, sendKey: sdesKeys.send, receiveKey: receive)
            }
            var agent = ICELiteAgent(local: ice, remote: agreed.remoteICE)
            for c in agreed.remoteCandidates { agent.addRemoteCandidate(c) }
            let session = BrowserMediaSession(ice: agent, dtls: dtls, bridge: bridge,
                                              setupDeadline: BrowserLegHandler.now() + Self.setupTimeout)
            let handler = BrowserLegHandler(session: session, socket: socket, timers: timers, otherLeg: otherLeg(channel.eventLoop),
                                            registry: registry, id: id, offerAt: offerAt, logger: logger, onEnd: legEnded)
            try channel.pipeline.syncOperations.addHandler(handler)
        }
        .map { channel, _ in
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

extension BrowserLegFactory.Plan {
    /// Our DTLS role against the browser's `a=setup` (its `actpass`: ours as preferred).
    mutating func setDTLS(remoteSetup: DTLSSetup?, preferred: DTLSSetup, identity: DTLSIdentity) {
        let setup: DTLSSetup = switch remoteSetup {
        case .active: .passive
        case .passive: .active
        default: preferred == .active ? .active : .passive
        }
        local.dtls = (identity.fingerprint, setup)
        dtlsRole = setup == .active ? .client : .server
    }
}
