import Dispatch
import HTTPEdge
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOEmbedded
import SignalingProtocol

/// libFuzzer target for the HTTP server's entry point: the bytes a connection
/// delivers go through Hummingbird's HTTP/1.1 channel as the socket's do
/// (NIO's decoder, pipelining, protocol errors answered 400), the gateway's
/// edge router (the Host check, CORS, the body bound) and a route that does
/// with the request what the gateway's does with wire data: the Origin
/// check, the long-poll request (sign-in, wait, message word, sign-out).
/// The connection is a trusted proxy's, so X-Forwarded-For is read too.
/// Checked: no crash; the body bound holds; what the route reads back is
/// what the request said; every answer goes out as an HTTP response.
public func fuzzHTTP(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let done = DispatchSemaphore(value: 0)
    let answered = Answer()
    Task {
        answered.bytes = await serve(bytes)
        done.signal()
    }
    done.wait()
    if let out = answered.bytes, out.readableBytes > 0, out.getString(at: out.readerIndex, length: 5) != "HTTP/" {
        fatalError("an answer that is not an HTTP response")
    }
    return 0
}

private final class Answer: @unchecked Sendable { var bytes: ByteBuffer? }

private let logger = Logger(label: "fuzz-http") { _ in SwiftLogNoOpLogHandler() }
private let origins = OriginPolicy(allowed: ["https://app.example"])
private let responder = {
    let router = EdgeRouter.make(hosts: HostPolicy(names: ["gw.example"]), cors: CORSPolicy(origins: origins),
                                 proxies: TrustedProxies(["192.0.2.1"]))
    let longPoll = EdgeRouter.handler { request, loop in loop.makeSucceededFuture(route(request)) }
    for path in LongPollRequest.paths {
        router.get(RouterPath(path), use: longPoll)
        router.post(RouterPath(path), use: longPoll)
    }
    router.get("/**", use: EdgeRouter.handler { _, loop in loop.makeSucceededFuture(.text("a file\n")) })
    return router.buildResponder()
}()

/// One connection's bytes through the HTTP/1.1 channel, its input then closed; what was written back.
private func serve(_ bytes: [UInt8]) async -> ByteBuffer? {
    let channel = NIOAsyncTestingChannel()
    let http1 = HTTP1Channel(responder: { request, writer, channel in
        let context = GatewayRequestContext(source: .init(channel: channel, logger: logger))
        let response = (try? await responder.respond(to: request, context: context)) ?? Response(status: .internalServerError)
        try await writer.write(response: response.head, body: response.body)
    })
    do {
        try await channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 40000))
        let value = try await channel.eventLoop.flatSubmit { http1.setup(channel: channel, logger: logger) }.get()
        async let handled: Void = http1.handle(value: value, logger: logger)
        _ = try? await channel.writeInbound(ByteBuffer(bytes: bytes))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        await handled
    } catch {
        fatalError("the channel did not build: \(error)")
    }
    var answered = ByteBuffer()
    while let part = try? await channel.readOutbound(as: ByteBuffer.self) { answered.writeImmutableBuffer(part) }
    _ = try? await channel.finish()
    return answered
}

/// The long-poll routes' reading of a request, and its invariants.
private func route(_ request: RouteRequest) -> RouteResponse {
    if request.body.count > RouteRequest.maxBody { fatalError("a body over the bound reached the route") }
    guard let parsed = LongPollRequest.parse(method: request.method.rawValue, path: request.path, query: request.query,
                                             body: request.body) else { return .text("not found\n", status: .notFound) }
    guard origins.permits(request.headers) else { return .text("error=forbidden-origin\n", status: .forbidden) }
    switch parsed {
    case .failure(let refusal): return .text("error=\(refusal.code)\n", status: .badRequest)
    case .success(.signIn(let user, let password, _)):
        if password == nil, user.isEmpty || request.query[user] != "" { fatalError("an anonymous ID that the query did not name") }
    case .success(.wait(let id, _)), .success(.signOut(let id)):
        if request.query["id"] != id { fatalError("a session id that the query did not carry") }
    case .success(.message(let id, _, let word)):
        if request.query["from"] != id { fatalError("a sender that the query did not name") }
        guard (try? LongPollMessage(parsing: Array(word.text.utf8))) == word else { fatalError("a message word did not read back") }
    }
    return .text("")
}
