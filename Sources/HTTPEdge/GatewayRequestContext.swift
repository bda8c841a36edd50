import Hummingbird
import HummingbirdWebSocket
import NIOCore
import ShellSupport

/// What a request's handling knows beside the request: where its connection
/// came from, the connection's event loop and whether it is open, and (for /ws) the
/// WebSocket handler the upgrade will run.
public struct GatewayRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The client's IP address (behind a trusted proxy, the one it forwards for: `EdgeMiddleware`).
    public internal(set) var source: String
    public let eventLoop: any EventLoop
    /// Whether the connection is still open (from any thread).
    public let connectionIsOpen: @Sendable () -> Bool

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        self.source = source.channel.remoteAddress?.ipAddress ?? "?"
        eventLoop = source.channel.eventLoop
        connectionIsOpen = { [channel = source.channel] in channel.isActive }
    }

    /// A larger body is answered 413 before any route reads it.
    public var maxUploadSize: Int { RouteRequest.maxBody }
}
