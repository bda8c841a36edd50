import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import ShellSupport
import SignalingProtocol

/// A request as the routes see it: the whole body is read first (bounded).
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var path: String
    public var query: [String: String]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The client's IP address (what its connection came from).
    public var source: String
}

public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var contentType: String
    public var body: [UInt8]
    public var headers: [(String, String)] = []
    /// Called (on the connection's loop) when the response could not be
    /// written: the client went away first. A long-poll queues its message again.
    public var onUndelivered: (@Sendable () -> Void)?

    public init(status: HTTPResponseStatus = .ok, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    public static func text(_ text: String, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, body: Array(text.utf8))
    }
}

public typealias HTTPRouter = @Sendable (HTTPRequest, EventLoop) -> EventLoopFuture<HTTPResponse>

/// The HTTP/1.1 server of the gateway (signaling and static files).
public enum HTTPServer {
    public static let maxBody = 64 * 1024

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

final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: HTTPRouter
    private let hosts: HostPolicy
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(router: @escaping HTTPRouter, hosts: HostPolicy) {
        self.router = router
        self.hosts = hosts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            tooLarge = false
        case .body(var buffer):
            if body.count + buffer.readableBytes > HTTPServer.maxBody { tooLarge = true } else {
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            }
        case .end:
            guard let head else { return }
            self.head = nil
            guard hosts.permits(head.headers) else {
                respond(context: context, head: head, .text("unknown Host: give the gateway this name with --http-name\n",
                                                            status: .misdirectedRequest))
                return
            }
            if tooLarge {
                respond(context: context, head: head, .text("request body over \(HTTPServer.maxBody) bytes\n", status: .payloadTooLarge))
                return
            }
            let target = RequestTarget(parsing: head.uri)
            let request = HTTPRequest(method: head.method, path: target.path, query: target.query, headers: head.headers,
                                      body: body, source: context.remoteAddress?.ipAddress ?? "?")
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            router(request, context.eventLoop).hop(to: context.eventLoop).whenComplete { result in
                let response = (try? result.get()) ?? .text("internal error\n", status: .internalServerError)
                bound.value.handler.respond(context: bound.value.context, head: head, response)
            }
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, _ response: HTTPResponse) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Cache-Control", value: "no-store")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        let keepAlive = head.isKeepAlive
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        guard context.channel.isActive else {
            response.onUndelivered?()
            return
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { result in
            if case .failure = result { response.onUndelivered?() }
            if !keepAlive { bound.value.close(promise: nil) }
        }
    }
}
