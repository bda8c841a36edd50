import NIOCore
import NIOHTTP1
import SignalingProtocol

/// Cross-origin access for the web apps of the configured origins
/// (`--allowed-origin`), which usually live on their own web server: the
/// long-poll routes and the client library (`/sdk/`) answer them with their
/// exact origin and credentials allowed (the Genesys client sends every
/// request with credentials), and their preflights are answered. Other
/// origins get no CORS headers: their browsers keep the answers from them.
public struct CORSPolicy: Sendable {
    public let origins: OriginPolicy
    private func covers(_ path: String) -> Bool { LongPollRequest.paths.contains(path) || path.hasPrefix("/sdk/") }

    /// The origin a cross-origin request comes from, when it is one of the configured ones.
    private func allowedOrigin(_ request: RouteRequest) -> String? {
        guard covers(request.path), let origin = request.headers.first(name: "Origin"),
              origins.allowed.contains(origin.lowercased()) else { return nil }
        return origin
    }

    /// The answer to a CORS preflight (OPTIONS with Access-Control-Request-Method) on a covered path;
    /// nil for any other request.
    public func preflight(_ request: RouteRequest) -> RouteResponse? {
        guard request.method == .OPTIONS, covers(request.path),
              request.headers.first(name: "Access-Control-Request-Method") != nil else { return nil }
        guard let origin = allowedOrigin(request) else { return .text("origin not allowed\n", status: .forbidden) }
        var response = RouteResponse(status: .noContent, body: [])
        response.headers = Self.headers(origin) + [
            ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
            ("Access-Control-Allow-Headers", request.headers.first(name: "Access-Control-Request-Headers") ?? "Content-Type"),
            ("Access-Control-Max-Age", "600"),
        ]
        return response
    }

    /// `response` with the CORS headers its request's origin is due.
    public func decorate(_ response: RouteResponse, for request: RouteRequest) -> RouteResponse {
        guard let origin = allowedOrigin(request) else { return response }
        var decorated = response
        decorated.headers += Self.headers(origin) + [("Access-Control-Expose-Headers", "X-Seq")]
        return decorated
    }

    public init(origins: OriginPolicy) { self.origins = origins }

    private static func headers(_ origin: String) -> [(String, String)] {
        [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true"), ("Vary", "Origin")]
    }
}
