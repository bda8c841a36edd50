import HTTPEdge
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import ShellSupport
import SignalingProtocol

/// The HTTP/1.1 server of the gateway (signaling and static files).
public enum HTTPServer {
    /// `webSocket` makes the handler of a connection upgraded at `webSocketPath`;
    /// with `tls`, every connection is HTTPS (and WSS), none in clear.
    /// `idleTimeout`: a connection that sends nothing for this long is closed.
    static func start(group: EventLoopGroup, host: String, port: Int, tls: NIOSSLContext? = nil,
                      connections: ConnectionLimiter, idleTimeout: TimeAmount, router: @escaping HTTPRouter,
                      webSocketPath: String, maxFrame: Int, origins: OriginPolicy, hosts: HostPolicy,
                      webSocket: @escaping @Sendable () -> ChannelHandler) -> EventLoopFuture<Channel> {
        ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard connections.admit(channel) else { return channel.close() }
                do {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    try channel.pipeline.syncOperations.addHandler(IdleCloser())
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
                let http = NIOLoopBound(HTTPRequestHandler(router: router, hosts: hosts), eventLoop: channel.eventLoop)
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: maxFrame,
                    shouldUpgrade: { channel, head in
                        let path = RequestTarget(parsing: head.uri).path
                        let permitted = path == webSocketPath && hosts.permits(head.headers) && origins.permits(head.headers)
                        return channel.eventLoop.makeSucceededFuture(permitted ? HTTPHeaders() : nil)
                    },
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandlers([
                                NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 64,
                                                            maxAccumulatedFrameSize: maxFrame),
                                webSocket(),
                            ])
                        }
                    })
                return channel.pipeline.configureHTTPServerPipeline(
                    withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                        context.pipeline.syncOperations.removeHandler(http.value, promise: nil)
                    }),
                    withErrorHandling: true
                ).flatMapThrowing { try channel.pipeline.syncOperations.addHandler(http.value) }
            }
            .childChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port)
    }
}
