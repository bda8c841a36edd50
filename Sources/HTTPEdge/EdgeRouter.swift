import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOHTTP1

/// The router every request meets first (Hummingbird's): the Host check, the
/// CORS answers and headers, signaling answers never cached; the gateway adds
/// its routes to it (`route`), the fuzzer a stand-in. No sockets.
public enum EdgeRouter {
    public static func make(hosts: HostPolicy, cors: CORSPolicy, proxies: TrustedProxies = TrustedProxies())
        -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: EdgeMiddleware(hosts: hosts, cors: cors, proxies: proxies))
        return router
    }

    /// A Hummingbird handler running `route` on the request's whole (bounded) body.
    public static func handler(_ route: @escaping HTTPRouter) -> @Sendable (Request, GatewayRequestContext) async throws -> Response {
        { request, context in
            let read = try await RouteRequest.reading(request, context: context)
            return try await route(read, context.eventLoop).get().hummingbird
        }
    }

    /// Whether a WebSocket upgrade may go ahead: a Host of ours and a permitted Origin.
    public static func permitsUpgrade(_ request: Request, hosts: HostPolicy, origins: OriginPolicy) -> Bool {
        let headers = RouteRequest(request.head, uri: request.uri, body: [], source: "").headers
        return hosts.permits(headers) && origins.permits(headers)
    }
}

/// The checks and headers of every request and answer, and where it comes from.
struct EdgeMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let hosts: HostPolicy
    let cors: CORSPolicy
    let proxies: TrustedProxies
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if proxies.trusts(context.source), let name = Self.forwardedFor {
            context.source = proxies.client(peer: context.source, forwardedFor: request.headers[values: name])
        }
        let head = RouteRequest(request.head, uri: request.uri, body: [], source: context.source)
        guard hosts.permits(head.headers) else {
            return RouteResponse.text("unknown Host: give the gateway this name with --http-name\n", status: .misdirectedRequest)
                .hummingbird
        }
        if let preflight = cors.preflight(head) { return preflight.hummingbird }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            response = RouteResponse.text((error.body ?? error.status.reasonPhrase) + "\n",
                                         status: HTTPResponseStatus(statusCode: error.status.code)).hummingbird
        }
        for (name, value) in cors.decorate(RouteResponse(body: []), for: head).headers {
            if let field = HTTPField.Name(name) { response.headers.append(HTTPField(name: field, value: value)) }
        }
        // Signaling answers are never cached; a response may say otherwise (the static files revalidate).
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
