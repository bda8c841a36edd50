import Logging
import NIOCore
import NIOPosix
import ShellSupport

/// The SIP side's media of a bridged call: an RTP port and the RTCP port
/// above it (`--rtp-ports`, an even/odd pair), on the browser session's event
/// loop. RTP goes to the address the SIP peer's SDP gave, RTCP to the port
/// above it from ours (or with the RTP when rtcp-mux was agreed); datagrams
/// are accepted only from that peer's IP address. The peer's port is learnt
/// once from what it sends (symmetric RTP, for peers behind NAT): from the
/// first packet the bridge takes (authenticated, when SRTP); from then on
/// only that address and port are heard, until a new SDP.
final class SIPMediaLeg: OtherLeg, @unchecked Sendable {
    let loop: EventLoop
    /// The RTP port (even); RTCP is `port + 1`.
    let port: UInt16
    private let ports: MediaPortPool
    private var rtp: (channel: Channel, socket: UDPSocket)?
    private var rtcp: (channel: Channel, socket: UDPSocket)?
    private var rtpDestination: SocketAddress?
    private var rtcpDestination: SocketAddress?
    private var rtcpMux = false
    /// The peer's address (any port): what it sends is taken only from there.
    private var peerHost: SocketAddress?
    /// Whether RTP (RTCP) has latched on its source: then only it is heard.
    private var rtpLatched = false
    private var rtcpLatched = false
    private var sink: ((UnsafeRawBufferPointer, UInt64) -> Bool)?
    private var closed = false
    private let logger: Logger

    /// Binds `port` and `port + 1` (already taken from `ports` with
    /// `acquirePair`; given back when the leg closes).
    init(loop: EventLoop, host: String, port: UInt16, ports: MediaPortPool, logger: Logger) {
        self.loop = loop
        self.logger = logger
        self.port = port
        self.ports = ports
        let bind = { @Sendable (p: UInt16, isRTCP: Bool) in
            UDPSocket.open(on: loop, host: host, port: p) { channel, _ in
                try channel.pipeline.syncOperations.addHandler(SIPMediaHandler(leg: self, isRTCP: isRTCP))
            }
        }
        bind(port, false).flatMap { rtp in
            bind(port + 1, true).map { (rtp, $0) }.flatMapError { error in
                rtp.channel.close().flatMapThrowing { throw error }      // the RTP socket must not outlive a failed pair
            }
        }.whenComplete { result in
            switch result {
            case .success(let (rtp, rtcp)):
                self.rtp = rtp
                self.rtcp = rtcp
                if self.closed { self.detach() }
            case .failure:
                self.closed = true
                ports.release(port)
                ports.release(port + 1)
            }
        }
    }

    /// Where the SIP peer wants its media (from its SDP); callable from any thread.
    func setRemote(host: String, port: UInt16, rtcpMux: Bool) {
        loop.execute {
            guard let rtp = try? SocketAddress(ipAddress: host, port: Int(port)) else { return }
            self.peerHost = rtp
            self.rtcpMux = rtcpMux
            self.rtpDestination = port == 0 ? nil : rtp
            self.rtcpDestination = port == 0 ? nil : rtcpMux ? rtp : try? SocketAddress(ipAddress: host, port: Int(port) + 1)
            self.rtpLatched = false
            self.rtcpLatched = false
        }
    }

    func deliver(_ datagram: UnsafeRawBufferPointer, isRTCP: Bool, now: UInt64) -> [[UInt8]] {
        guard let socket = (isRTCP && !rtcpMux ? rtcp : rtp)?.socket,
              let destination = isRTCP ? rtcpDestination : rtpDestination else { return [] }
        socket.send(datagram, to: destination)
        return []
    }

    func attach(_ sink: @escaping (UnsafeRawBufferPointer, UInt64) -> Bool) { self.sink = sink }

    func detach() {
        sink = nil
        closed = true
        guard let rtp, let rtcp else { return }   // still binding: closed when that completes
        self.rtp = nil
        self.rtcp = nil
        let ports = self.ports, port = self.port
        let dropped = rtp.socket.dropped + rtcp.socket.dropped
        if dropped > 0 { logger.info("SIP leg media on port \(port): \(dropped) datagrams dropped (the socket was full)") }
        rtp.channel.close(promise: nil)
        rtcp.channel.close(promise: nil)
        rtp.channel.closeFuture.and(rtcp.channel.closeFuture).whenComplete { _ in
            ports.release(port)
            ports.release(port + 1)
        }
    }

    fileprivate func received(_ envelope: AddressedEnvelope<ByteBuffer>, isRTCP: Bool, now: UInt64) {
        guard let sink, let peerHost, Self.sameHost(envelope.remoteAddress, peerHost) else { return }
        // RTCP multiplexed on the RTP port does not latch by itself: the RTP latches for both.
        let isMuxedRTCP = !isRTCP && envelope.data.readableBytes > 1 &&
            envelope.data.getInteger(at: envelope.data.readerIndex + 1, as: UInt8.self).map({ $0 >= 192 && $0 <= 223 }) == true
        let latched = isRTCP ? rtcpLatched : rtpLatched
        let destination = isRTCP ? rtcpDestination : rtpDestination
        if latched, let destination, envelope.remoteAddress.port != destination.port { return }
        let accepted = envelope.data.withUnsafeReadableBytes { sink($0, now) }
        guard accepted, !latched, !isMuxedRTCP else { return }
        // Symmetric RTP/RTCP: answer where the peer really sends from, learnt once.
        if isRTCP {
            rtcpLatched = true
            if rtcpDestination != nil { rtcpDestination = envelope.remoteAddress }
        } else {
            rtpLatched = true
            if rtpDestination != nil { rtpDestination = envelope.remoteAddress }
            if rtcpMux, rtcpDestination != nil { rtcpDestination = envelope.remoteAddress }
        }
        if let destination, destination.port != envelope.remoteAddress.port {
            logger.info("SIP leg media on port \(port) latched on \(envelope.remoteAddress) (the SDP said \(destination))")
        }
    }
}

extension SIPMediaLeg {
    /// Whether two socket addresses have the same IP, whatever their ports
    /// (compared as bytes: no text per packet).
    static func sameHost(_ a: SocketAddress, _ b: SocketAddress) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)):
            return x.address.sin_addr.s_addr == y.address.sin_addr.s_addr
        case (.v6(let x), .v6(let y)):
            return withUnsafeBytes(of: x.address.sin6_addr) { p in
                withUnsafeBytes(of: y.address.sin6_addr) { q in p.elementsEqual(q) }
            }
        default:
            return false
        }
    }
}

private final class SIPMediaHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let leg: SIPMediaLeg
    private let isRTCP: Bool

    init(leg: SIPMediaLeg, isRTCP: Bool) {
        self.leg = leg
        self.isRTCP = isRTCP
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        leg.received(unwrapInboundIn(data), isRTCP: isRTCP, now: BrowserLegHandler.now())
    }
}
