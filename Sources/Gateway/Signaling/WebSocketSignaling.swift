import Foundation
import NIOCore
import NIOWebSocket

/// The WebSocket transport of the signaling protocol (docs/SIGNALING.md):
/// one JSON object per text frame, both ways, onto one ClientSession.
final class WebSocketSignalingHandler: ChannelInboundHandler, SignalingTransport {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    static let path = "/ws"
    static let maxMessage = 64 * 1024
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
                _ = self.push(["type": "error", "code": refusal.rawValue, "message": "too many sessions"])
                self.close()
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let data = frame.unmaskedData
            let object = data.readableBytes <= Self.maxMessage
                ? (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView))) as? [String: Any] : nil
            manager.loop.execute {
                guard let session = self.session else { return }
                if let object { self.manager.receive(object, from: session) } else {
                    session.error("bad-message", "a message is one JSON object of at most \(Self.maxMessage) bytes")
                }
            }
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)),
                                  promise: nil)
        case .connectionClose:
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: context.channel.allocator.buffer(capacity: 0))
            context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in context.close(promise: nil) }
        case .binary:
            manager.loop.execute { self.session?.error("bad-message", "binary frames are not part of the protocol") }
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

    func push(_ event: [String: Any]) -> Bool {
        guard let channel, channel.isActive,
              let json = try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]) else { return false }
        if !channel.isWritable {
            backlog += 1
            if backlog > Self.maxBacklog { return false }
        } else {
            backlog = 0
        }
        let frame = WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(bytes: json))
        channel.writeAndFlush(frame, promise: nil)
        return true
    }

    func close() { channel?.close(promise: nil) }
}
