import NIOCore
import NIOHTTP1
import SignalingProtocol

/// Reads one request at a time (head, bounded body, end), checks its Host,
/// and writes what the router answers. No sockets: the server's pipeline and
/// the fuzzer's embedded channel run it alike.
public final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias OutboundOut = HTTPServerResponsePart

    /// The largest request body read; a larger one is answered 413.
    public static let maxBody = 64 * 1024

    private let router: HTTPRouter
    private let hosts: HostPolicy
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    public init(router: @escaping HTTPRouter, hosts: HostPolicy) {
        self.router = router
        self.hosts = hosts
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            tooLarge = false
        case .body(var buffer):
            if body.count + buffer.readableBytes > Self.maxBody { tooLarge = true } else {
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
                respond(context: context, head: head, .text("request body over \(Self.maxBody) bytes\n", status: .payloadTooLarge))
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
        // Signaling answers are never cached; a response may say otherwise (the static files revalidate).
        if !response.headers.contains(where: { $0.0.lowercased() == "cache-control" }) {
            headers.add(name: "Cache-Control", value: "no-store")
        }
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
