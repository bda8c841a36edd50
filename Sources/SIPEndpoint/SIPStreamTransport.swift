import NIOCore
import NIOPosix
import NIOSSL
import ShellSupport
import SIP

/// SIP over TCP and TLS: messages framed by Content-Length on each connection;
/// one connection per transport and remote address, reused both ways.
final class SIPStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    /// Bytes held while a message is incomplete; a peer that sends more without
    /// completing one is cut off.
    static let maxPending = 256 * 1024
    private let service: SIPService
    private let transport: SIPPeer.Transport
    private var pending: [UInt8] = []
    private var peer: SIPPeer?

    init(service: SIPService, transport: SIPPeer.Transport = .tcp) {
        self.service = service
        self.transport = transport
    }

    func channelActive(context: ChannelHandlerContext) {
        guard let host = context.remoteAddress?.ipAddress, let port = context.remoteAddress?.port else {
            context.close(promise: nil)
            return
        }
        let peer = SIPPeer(transport, host: host, port: UInt16(clamping: port))
        self.peer = peer
        service.connectionUp(peer, context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let peer { service.connectionDown(peer, context.channel) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let peer else { return }
        pending += Array(unwrapInboundIn(data).readableBytesView)
        while !pending.isEmpty {
            do {
                let (message, consumed) = try SIPParser.parse(pending, framing: .stream)
                pending.removeFirst(consumed)
                service.deliver(message, from: peer)
            } catch .incomplete {
                if pending.allSatisfy({ $0 == 13 || $0 == 10 }) { pending.removeAll() } // keep-alive CRLFs
                if pending.count > Self.maxPending { context.close(promise: nil) }
                return
            } catch {
                // The stream cannot be re-synchronised after a framing error: answer and close.
                service.refuse(pending, error, from: peer)
                pending.removeAll()
                context.close(promise: nil)
                return
            }
        }
    }
}

extension SIPService {
    static func key(_ peer: SIPPeer) -> String { "\(peer.transport.rawValue):\(peer.host):\(peer.port)" }

    /// Registers an accepted or opened connection (both are bounded before they get here).
    func connectionUp(_ peer: SIPPeer, _ channel: Channel) {
        tcpConnections[Self.key(peer)] = channel
    }

    func connectionDown(_ peer: SIPPeer, _ channel: Channel) {
        if tcpConnections[Self.key(peer)] === channel { tcpConnections[Self.key(peer)] = nil }
    }

    /// Writes on the connection to `peer`, opening one when there is none.
    func writeStream(_ message: SIPMessage, to peer: SIPPeer) {
        let key = Self.key(peer)
        if let channel = tcpConnections[key] {
            channel.writeAndFlush(channel.allocator.buffer(bytes: message.bytes), promise: nil)
            return
        }
        guard case .request(let request) = message else { return } // a response whose connection is gone has nowhere to go
        if let waiting = connecting[key], waiting.count < 64 {
            connecting[key]?.append(request)
            return
        }
        let tls = peer.transport == .tls ? settings.tls : nil
        guard connecting[key] == nil, connecting.count + outboundConnections < Self.maxOutboundConnections,
              peer.transport != .tls || tls != nil else {
            logger.notice("no connection for a request to \(peer): too many waiting, too many connections, or no TLS")
            return handle(transactions.transportFailed(request, now: Self.now()), now: Self.now())
        }
        connecting[key] = [request]
        ClientBootstrap(group: loop)
            .channelInitializer { channel in
                do {
                    if let tls {
                        // The server's certificate is checked against the trust roots and its address or name.
                        let handler = try NIOSSLClientHandler(context: tls, serverHostname: peer.host.isIPAddress ? nil : peer.host)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHandler(SIPStreamHandler(service: self, transport: peer.transport))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .connectTimeout(.seconds(5))
            .connect(host: peer.host, port: Int(peer.port))
            .whenComplete { result in
                let waiting = self.connecting.removeValue(forKey: key) ?? []
                switch result {
                case .success(let channel):
                    self.outboundConnections += 1
                    channel.closeFuture.hop(to: self.loop).whenComplete { _ in self.outboundConnections -= 1 }
                    for request in waiting {
                        channel.write(channel.allocator.buffer(bytes: SIPMessage.request(request).bytes), promise: nil)
                    }
                    channel.flush()
                case .failure(let error):
                    self.logger.notice("cannot connect to \(peer): \(error)")
                    self.core.connectionFailed(to: peer, waiting: waiting, now: Self.now())
                    self.afterWork()
                }
            }
    }
}
