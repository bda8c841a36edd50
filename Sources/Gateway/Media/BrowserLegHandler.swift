import GatewayCore
import Logging
import MediaCore
import MediaTypes
import NIOCore
import ShellSupport
import WebRTC

/// The NIO shell of a BrowserMediaSession: one UDP socket, datagrams in
/// (through NIO) and out (straight to the socket), one deadline among its
/// loop's media timers. It makes no protocol decision.
final class BrowserLegHandler: ChannelInboundHandler, MediaTimerOwner {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let session: BrowserMediaSession
    private let socket: UDPSocket
    private let timers: MediaTimers
    private let otherLeg: OtherLeg
    private let registry: SessionRegistry
    private let id: String
    private let offerAt: UInt64
    private let logger: Logger
    private let onEnd: (@Sendable (BrowserLegEnding) -> Void)?
    private let maxLifetime: UInt64
    private var timerDue: UInt64?
    private var context: ChannelHandlerContext?
    private var firstSRTPSeen = false
    /// The socket address of the last destination, so that media does not
    /// format and parse an address per packet.
    private var cachedAddress: (TransportAddress, SocketAddress)?
    /// The same for the source of what arrives: the browser sends from one address.
    private var lastSource: (SocketAddress, TransportAddress)?
    private var statsAt: UInt64 = 0
    static let statsInterval: UInt64 = 500_000

    init(session: BrowserMediaSession, socket: UDPSocket, timers: MediaTimers, otherLeg: OtherLeg, registry: SessionRegistry, id: String, offerAt: UInt64,
         logger: Logger, onEnd: (@Sendable (BrowserLegEnding) -> Void)? = nil, maxLifetime: UInt64 = 4 * 3_600_000_000) {
        self.session = session
        self.socket = socket
        self.timers = timers
        self.otherLeg = otherLeg
        self.registry = registry
        self.id = id
        self.offerAt = offerAt
        self.logger = logger
        self.onEnd = onEnd
        self.maxLifetime = maxLifetime
    }

    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds / 1000 }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        otherLeg.attach { [weak self] bytes, now in self?.fromOtherLeg(bytes, now: now) ?? false }
        rearm()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timers.set(self, at: nil)
        self.context = nil
    }

    /// A datagram from the far end (the SIP side's RTP), on this loop.
    private func fromOtherLeg(_ bytes: UnsafeRawBufferPointer, now: UInt64) -> Bool {
        var fedBack: [[UInt8]] = []
        let accepted = session.receiveFromOtherLeg(bytes, now: now, send: { self.sendToBrowser($0, $1, now: now) },
                                                   other: { fedBack += self.otherLegReplies($0, $1, now: now) })
        feedBack(fedBack, now: now)
        afterMedia(now: now)
        return accepted
    }

    /// The call model changed the far end's codec or direction (an answer, a re-INVITE).
    func configureOtherLeg(_ settings: MediaBridge.LegSettings?, direction: MediaDirection) {
        do {
            if let settings { try session.bridge.update(settings, on: .other) }
            try session.bridge.setDirection(direction, on: .other)
        } catch {
            logger.warning("cannot reconfigure the SIP side of the bridge: \(error)", metadata: ["session": "\(id)"])
        }
    }

    func setOtherLegSRTP(_ suite: SRTPSuite, send: [UInt8], receive: [UInt8]) {
        do { try session.bridge.setSRTP(suite, on: .other, sendKey: send, receiveKey: receive) } catch {
            logger.warning("cannot key the SIP side's SRTP: \(error)", metadata: ["session": "\(id)"])
        }
    }

    /// The state the call model reads: relaying or transcoding, packets each way.
    var mediaSummary: (relaying: Bool, fromBrowser: UInt64, toBrowser: UInt64, fromSIP: UInt64, toSIP: UInt64) {
        let a = session.bridge.counts(.browser), b = session.bridge.counts(.other)
        return (session.bridge.isRelaying, a.received, a.sent, b.received, b.sent)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let from = source(envelope.remoteAddress) else { return }
        let now = Self.now()
        // Media, the per-packet path: read in place, sent from the bridge's own buffer.
        var fedBack: [[UInt8]] = []
        let wasMedia = envelope.data.withUnsafeReadableBytes { bytes in
            session.receiveMedia(bytes, from: from, now: now, send: { self.sendToBrowser($0, $1, now: now) },
                                 other: { fedBack += self.otherLegReplies($0, $1, now: now) })
        }
        if wasMedia {
            feedBack(fedBack, now: now)
            afterMedia(now: now)
            return
        }
        // STUN and DTLS: the control path.
        emit(session.handle(Array(envelope.data.readableBytesView), from: from, now: now), now: now)
        afterWork()
    }

    private func source(_ address: SocketAddress) -> TransportAddress? {
        if let last = lastSource, last.0 == address { return last.1 }
        guard let converted = TransportAddress(address) else { return nil }
        lastSource = (address, converted)
        return converted
    }

    private func sendToBrowser(_ to: TransportAddress, _ bytes: UnsafeRawBufferPointer, now: UInt64) {
        guard context != nil else { return }    // the leg closed
        let address: SocketAddress
        if let cached = cachedAddress, cached.0 == to {
            address = cached.1
        } else {
            guard let resolved = try? to.socketAddress else { return }
            cachedAddress = (to, resolved)
            address = resolved
        }
        if !firstSRTPSeen, let b = bytes.first, b >= 128, b < 192, bytes.count > 1, bytes[1] < 192 || bytes[1] > 223 {
            noteMediaSent(now: now)
        }
        socket.send(bytes, to: address)
    }

    /// What the other leg sends back at once (a loop-back test peer comes
    /// back as copies, because it goes back into the bridge whose buffer `bytes` is).
    private func otherLegReplies(_ bytes: UnsafeRawBufferPointer, _ isRTCP: Bool, now: UInt64) -> [[UInt8]] {
        otherLeg.deliver(bytes, isRTCP: isRTCP, now: now)
    }

    private func feedBack(_ datagrams: [[UInt8]], now: UInt64) {
        var pending = datagrams
        var rounds = 0
        while !pending.isEmpty, rounds < 64 { // bounded: a loop-back peer answers each packet once
            rounds += 1
            var next: [[UInt8]] = []
            for datagram in pending {
                _ = datagram.withUnsafeBytes { bytes in
                    session.receiveFromOtherLeg(bytes, now: now, send: { self.sendToBrowser($0, $1, now: now) },
                                                other: { next += self.otherLegReplies($0, $1, now: now) })
                }
            }
            pending = next
        }
    }

    /// After a media packet or a timer: statistics now and then, and the
    /// timer only when the next deadline moved earlier.
    private func afterMedia(now: UInt64) {
        if now >= statsAt + Self.statsInterval {
            statsAt = now
            publishStats()
        }
        if let due = session.nextTimeout, timerDue.map({ due < $0 }) ?? true { rearm() }
    }

    private func emit(_ outputs: [BrowserMediaSession.Output], now: UInt64) {
        var pending = outputs
        var rounds = 0
        while !pending.isEmpty, rounds < 64 { // bounded: a loop-back peer answers each packet once
            rounds += 1
            var next: [BrowserMediaSession.Output] = []
            for output in pending {
                switch output {
                case .toBrowser(let to, let bytes):
                    bytes.withUnsafeBytes { sendToBrowser(to, $0, now: now) }
                case .toOtherLeg(let bytes, let isRTCP):
                    for back in bytes.withUnsafeBytes({ otherLeg.deliver($0, isRTCP: isRTCP, now: now) }) {
                        next += session.receiveFromOtherLeg(back, now: now)
                    }
                }
            }
            pending = next
        }
    }

    private func noteMediaSent(now: UInt64) {
        guard !firstSRTPSeen else { return }
        firstSRTPSeen = true
        let elapsed = now - offerAt
        logger.info("first SRTP to the browser \(elapsed / 1000) ms after the offer", metadata: ["session": "\(id)"])
        registry.update(id) { $0.offerToFirstSRTPUs = elapsed }
    }

    private func afterWork() {
        for event in session.takeEvents() { record(event) }
        publishStats()
        rearm()
    }

    private func publishStats() {
        let browser = session.bridge.quality(.browser), sip = session.bridge.quality(.other)
        registry.update(id) {
            $0.packetsFromBrowser = browser.packetsReceived
            $0.packetsToBrowser = browser.packetsSent
            $0.authFailures = browser.srtpAuthFailures
            $0.socketDrops = self.socket.dropped
            $0.browserQuality = browser
            $0.sipQuality = sip
        }
    }

    private func record(_ event: BrowserMediaSession.Event) {
        let meta: Logger.Metadata = ["session": "\(id)"]
        switch event {
        case .selected(let address):
            logger.info("ICE selected \(address)", metadata: meta)
            registry.update(id) { $0.selectedAddress = "\(address)" }
        case .connected(let profile):
            logger.info("DTLS connected, SRTP profile \(profile)", metadata: meta)
            registry.update(id) { $0.state = "connected"; $0.srtpProfile = profile }
        case .failed(let failure, let reason):
            logger.warning("call leg failed: \(reason)", metadata: meta)
            end(state: "failed", reason: reason, loss: failure == .ice ? .ice : .dtls)
        case .consentExpired:
            logger.warning("ICE consent expired: the browser is gone", metadata: meta)
            end(state: "closed", reason: "ICE consent expired", loss: .consent)
        case .closed:
            logger.info("DTLS closed by the browser", metadata: meta)
            end(state: "closed", reason: "DTLS close_notify", loss: nil)
        case .refused(let why):
            logger.warning("\(why)", metadata: meta)
            registry.update(id) { $0.refusals.append(why) }
        }
    }

    /// `loss`: what lost the leg; nil when the browser closed it.
    private func end(state: String, reason: String, loss: BrowserLegLoss?) {
        registry.update(id) { $0.state = state; $0.reason = reason }
        onEnd?(loss.map { .lost($0, reason) } ?? .closedByBrowser)
        context?.close(promise: nil)
    }

    private func rearm() {
        guard context != nil else { return }
        if Self.now() > offerAt + maxLifetime {
            end(state: "closed", reason: "maximum call length", loss: .maxLength)
            return
        }
        timerDue = session.nextTimeout
        timers.set(self, at: timerDue)
    }

    /// Timers drive playout and RTCP: their media goes out in place too.
    func timerFired(now: UInt64) {
        timerDue = nil
        var fedBack: [[UInt8]] = []
        emit(session.pollControl(now: now), now: now)
        session.drainBridge(now: now, send: { self.sendToBrowser($0, $1, now: now) },
                            other: { fedBack += self.otherLegReplies($0, $1, now: now) })
        feedBack(fedBack, now: now)
        for event in session.takeEvents() { record(event) }
        afterMedia(now: now)   // timerDue is nil: the timer is set again
    }
}

extension TransportAddress {
    init?(_ address: SocketAddress) {
        guard let port = address.port else { return nil }
        switch address {
        case .v4(let a):
            self.init(ip: withUnsafeBytes(of: a.address.sin_addr.s_addr) { Array($0) }, port: UInt16(port))
        case .v6(let a):
            self.init(ip: withUnsafeBytes(of: a.address.sin6_addr) { Array($0) }, port: UInt16(port))
        default:
            return nil
        }
    }

    var socketAddress: SocketAddress {
        get throws { try SocketAddress(ipAddress: host, port: Int(port)) }
    }
}
