import NIOCore
import NIOWebSocket
import SignalingProtocol

/// The WebSocket transport of the signaling protocol (docs/SIGNALING.md):
/// one JSON object per text frame, both ways, onto one ClientSession. It
/// lives on two loops by design: frames arrive on the connection's, and its
/// session state (`session`, `backlog`) is touched only on the call
/// manager's, where every read hops (channel writes are thread-safe).
final class WebSocketSignalingHandler: ChannelInboundHandler, SignalingTransport, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    static let path = "/ws"
    static let maxMessage = ClientMessage.maxLength
    /// Events written while the socket is not writable: beyond this the client
    /// is not reading, and the session ends rather than grow without bound.
    static let maxBacklog = 256

    private let manager: CallManager
    private var channel: Channel?
    private var session: ClientSession?   // on the manager's loop
    private var backlog = 0               // on the manager's loop

    init(manager: CallManager) { self.manager = manager }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        self.channel = channel
        let source = channel.remoteAddress?.ipAddress ?? "?"
        manager.loop.execute {
            switch self.manager.open(self, source: source) {
            case .success(let session): self.session = session
            case .failure(let refusal):
                _ = self.push(.error(SignalingError(refusal.code, refusal == .draining ? "the gateway is shutting down" : "too many sessions")))
                self.close()
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let message = Result { () throws(ClientMessage.DecodeError) in
                try ClientMessage(decoding: frame.unmaskedData.readableBytesView)
            }
            manager.loop.execute {
                guard let session = self.session else { return }
                switch message {
                case .success(let message): self.manager.receive(message, from: session)
                case .failure(let error): session.error(.badMessage, error.description)
                }
            }
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)),
                                  promise: nil)
        case .connectionClose:
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: context.channel.allocator.buffer(capacity: 0))
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in channel.close(promise: nil) }
        case .binary:
            manager.loop.execute { self.session?.error(.badMessage, "binary frames are not part of the protocol") }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        manager.loop.execute {
            guard let session = self.session else { return }
            self.session = nil
            self.manager.close(session, reason: "WebSocket closed")
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }

    // MARK: SignalingTransport (on the manager's loop)

    func push(_ event: ServerEvent) -> Bool {
        guard let channel, channel.isActive else { return false }
        if !channel.isWritable {
            backlog += 1
            if backlog > Self.maxBacklog { return false }
        } else {
            backlog = 0
        }
        let frame = WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(string: event.json))
        channel.writeAndFlush(frame, promise: nil)
        return true
    }

    func close() { channel?.close(promise: nil) }
}
