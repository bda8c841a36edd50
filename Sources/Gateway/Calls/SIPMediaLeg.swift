import NIOCore
import NIOPosix

/// The SIP side's media of a bridged call: one UDP port (`--rtp-ports`) on
/// the browser session's event loop. RTP goes to the address the SIP peer's
/// SDP gave (RTCP to the next port unless rtcp-mux was agreed); datagrams are
/// accepted only from that peer's IP address, and the peer's port is learnt
/// from what it sends (symmetric RTP, for peers behind NAT).
final class SIPMediaLeg: OtherLeg {
    let loop: EventLoop
    let port: UInt16
    private let ports: MediaPortPool
    private var channel: Channel?
    private var rtpDestination: SocketAddress?
    private var rtcpDestination: SocketAddress?
    private var peerIP: String?
    private var sink: ((UnsafeRawBufferPointer, UInt64) -> Void)?
    private var closed = false

    /// Binds `port` (already taken from `ports`; given back when the leg closes).
    init(loop: EventLoop, host: String, port: UInt16, ports: MediaPortPool) {
        self.loop = loop
        self.port = port
        self.ports = ports
        DatagramBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { $0.pipeline.addHandler(SIPMediaHandler(leg: self)) }
            .bind(host: host, port: Int(port))
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    if self.closed { self.close(channel) } else { self.channel = channel }
                case .failure:
                    ports.release(port)
                }
            }
    }

    /// Where the SIP peer wants its media (from its SDP); callable from any thread.
    func setRemote(host: String, port: UInt16, rtcpMux: Bool) {
        loop.execute {
            guard let rtp = try? SocketAddress(ipAddress: host, port: Int(port)) else { return }
            self.peerIP = rtp.ipAddress
            self.rtpDestination = port == 0 ? nil : rtp
            self.rtcpDestination = port == 0 ? nil : rtcpMux ? rtp : try? SocketAddress(ipAddress: host, port: Int(port) + 1)
        }
    }

    func deliver(_ datagram: UnsafeRawBufferPointer, isRTCP: Bool, now: UInt64) -> [[UInt8]] {
        guard let channel, let destination = isRTCP ? rtcpDestination : rtpDestination else { return [] }
        var buffer = channel.allocator.buffer(capacity: datagram.count)
        buffer.writeBytes(datagram)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: buffer), promise: nil)
        return []
    }

    func attach(_ sink: @escaping (UnsafeRawBufferPointer, UInt64) -> Void) { self.sink = sink }

    func detach() {
        sink = nil
        closed = true
        if let channel { close(channel) }
        channel = nil
    }

    private func close(_ channel: Channel) {
        let ports = self.ports, port = self.port
        channel.close(promise: nil)
        channel.closeFuture.whenComplete { _ in ports.release(port) }
    }

    fileprivate func received(_ envelope: AddressedEnvelope<ByteBuffer>, now: UInt64) {
        guard let sink, let ip = envelope.remoteAddress.ipAddress, ip == peerIP else { return }
        if let rtp = rtpDestination, envelope.remoteAddress.port != rtp.port,
           envelope.data.readableBytes > 1, envelope.data.getInteger(at: envelope.data.readerIndex + 1, as: UInt8.self)
            .map({ $0 < 192 || $0 > 223 }) == true {
            rtpDestination = envelope.remoteAddress     // symmetric RTP: answer where the RTP comes from
        }
        envelope.data.withUnsafeReadableBytes { sink($0, now) }
    }
}

private final class SIPMediaHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let leg: SIPMediaLeg

    init(leg: SIPMediaLeg) { self.leg = leg }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        leg.received(unwrapInboundIn(data), now: BrowserLegHandler.now())
    }
}
