import Hummingbird
import HummingbirdWebSocket
import NIOCore
import ShellSupport

/// What a request's handling knows beside the request: where its connection
/// came from, the connection's event loop and its close, and (for /ws) the
/// WebSocket handler the upgrade will run.
public struct GatewayRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The client's IP address.
    public let source: String
    public let eventLoop: any EventLoop
    /// Completes when the connection closes.
    public let connectionClosed: EventLoopFuture<Void>

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        self.source = source.channel.remoteAddress?.ipAddress ?? "?"
        eventLoop = source.channel.eventLoop
        connectionClosed = source.channel.closeFuture
    }

    /// A larger body is answered 413 before any route reads it.
    public var maxUploadSize: Int { RouteRequest.maxBody }
}
