import HTTPEdge
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import ShellSupport

/// The gateway's HTTP/1.1 and WebSocket server: Hummingbird's, on the
/// gateway's event loops. Connections are bounded in all and per source
/// (refused as they are accepted), closed when idle; WebSocket peers are
/// pinged every `webSocketPing` and dropped when they stop answering (a
/// vanished tab's session ends).
enum HTTPServer {
    /// With `tls`, every connection is HTTPS (and WSS), none in clear. `onRunning` gets the bound port.
    static func application(router: Router<GatewayRequestContext>, group: EventLoopGroup, host: String, port: Int,
                            tls: TLSConfiguration?, connections: ConnectionLimiter, idleTimeout: TimeAmount, webSocketPing: Duration, maxFrame: Int,
                            logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: .init(),
            ws: .init(maxFrameSize: maxFrame, autoPing: .enabled(timePeriod: webSocketPing)))
        let webSocketResponder = router.buildResponder()
        let server = HTTPServerBuilder { responder in
            let http = HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder,
                                                    configuration: configuration)
            if let tls { return AdmittedChannel(try TLSChannel(http, tlsConfiguration: tls), connections, idleTimeout) }
            return AdmittedChannel(http, connections, idleTimeout)
        }
        return Application(router: router, server: server, configuration: .init(address: .hostname(host, port: port), backlog: 256),
                           onServerRunning: { await onRunning($0.localAddress?.port ?? port) },
                           eventLoopGroupProvider: .shared(group), logger: logger)
    }
}

/// A child channel that is closed at once when it would pass the listener's bounds,
/// whenever nothing has come on it for `idleTimeout` (before its first request too, TLS
/// or not), and when its client closes its side.
struct AdmittedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let limiter: ConnectionLimiter
    let idleTimeout: TimeAmount

    init(_ base: Base, _ limiter: ConnectionLimiter, _ idleTimeout: TimeAmount) {
        self.base = base
        self.limiter = limiter
        self.idleTimeout = idleTimeout
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard limiter.admit(channel) else {
            return channel.close().flatMapThrowing { throw ChannelError.ioOnClosedChannel }
        }
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandlers([IdleStateHandler(readTimeout: idleTimeout), ConnectionReaper()])
        }.flatMap { base.setup(channel: channel, logger: logger) }
    }

    func handle(value: Value, logger: Logger) async { await base.handle(value: value, logger: logger) }
}
