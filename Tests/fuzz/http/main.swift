import FuzzSupport
import HTTPEdge
import NIOCore
import NIOEmbedded
import NIOHTTP1
import SignalingProtocol

/// libFuzzer target for the HTTP server's entry point: the bytes a connection
/// delivers go through NIO's HTTP/1.1 server pipeline as the socket's do
/// (pipelining, protocol errors answered 400), our request handler (the body
/// bound, the Host check), and a router that does with the request what the
/// gateway's does with wire data: a CORS preflight, the Origin check, the
/// long-poll request (sign-in, wait, message word, sign-out). Checked: no
/// crash; the body bound holds; what the router reads back is what the
/// request said; every answer goes out as an HTTP response.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let channel = EmbeddedChannel()
    let origins = OriginPolicy(allowed: ["https://app.example"])
    let cors = CORSPolicy(origins: origins)
    let router: HTTPRouter = { request, loop in
        if request.body.count > HTTPRequestHandler.maxBody { fatalError("a body over the bound reached the router") }
        if let preflight = cors.preflight(request) { return loop.makeSucceededFuture(preflight) }
        return loop.makeSucceededFuture(cors.decorate(route(request, origins: origins), for: request))
    }
    do {
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
        try channel.pipeline.syncOperations.addHandler(HTTPRequestHandler(router: router, hosts: HostPolicy(names: ["gw.example"])))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 40000)).wait()
    } catch {
        fatalError("the pipeline did not build: \(error)")
    }
    _ = try? channel.writeInbound(channel.allocator.buffer(bytes: UnsafeBufferPointer(start: data, count: size)))
    var answered = channel.allocator.buffer(capacity: 0)
    while let part = try? channel.readOutbound(as: IOData.self) {
        if case .byteBuffer(var bytes) = part { answered.writeBuffer(&bytes) }
    }
    if answered.readableBytes > 0, answered.getString(at: answered.readerIndex, length: 5) != "HTTP/" {
        fatalError("an answer that is not an HTTP response")
    }
    _ = try? channel.finish(acceptAlreadyClosed: true)
    return 0
}

/// The long-poll routes' reading of a request, and its invariants.
private func route(_ request: HTTPRequest, origins: OriginPolicy) -> HTTPResponse {
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

@main
enum Main {
    static func main() throws { try fuzzMain { fuzzHTTP($0, $1) } }
}
