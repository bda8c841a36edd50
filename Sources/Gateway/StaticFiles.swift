import Foundation
import HTTPEdge
import NIOCore

/// The files under Public/: the softphone, the client libraries (/sdk/), the
/// test pages. Each is revalidated by its ETag (a 304 when unchanged); pages
/// carry the security headers a softphone needs (no framing by other sites,
/// no referrer, scripts and connections only to the gateway itself).
struct StaticFiles: Sendable {
    let root: URL?

    /// On every page: its scripts are inline modules and the library, its connections the gateway's own
    /// (fetch, WebSocket); it may not be framed (clickjacking a softphone that holds the microphone).
    static let pageHeaders: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            + "connect-src 'self' ws: wss:; img-src 'self' data:; media-src 'self' blob: mediastream:; "
            + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
    ]

    init() { root = Bundle.module.resourceURL?.appendingPathComponent("Public") }

    func handle(_ request: RouteRequest, on loop: EventLoop) -> EventLoopFuture<RouteResponse>? {
        guard request.method == .GET, let root else { return nil }
        let path = request.path == "/" ? "/index.html" : request.path
        // Only plain names: no "..", no hidden files.
        guard !path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) else { return nil }
        let url = root.appendingPathComponent(String(path.dropFirst()))
        guard let data = try? Data(contentsOf: url) else { return nil }
        let etag = Self.etag(of: data)
        var response = request.headers["If-None-Match"].contains(where: { $0.contains(etag) })
            ? RouteResponse(status: .notModified, contentType: Self.type(of: path), body: [])
            : RouteResponse(contentType: Self.type(of: path), body: Array(data))
        response.headers = [("ETag", etag), ("Cache-Control", "no-cache"), ("X-Content-Type-Options", "nosniff")]
        if path.hasSuffix(".html") { response.headers += Self.pageHeaders }
        return loop.makeSucceededFuture(response)
    }

    /// A strong validator: FNV-1a (64 bits) of the content, quoted.
    static func etag(of data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return "\"" + String(hash, radix: 16) + "\""
    }

    static func type(of path: String) -> String {
        if path.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if path.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        if path.hasSuffix(".css") { return "text/css; charset=utf-8" }
        return "application/octet-stream"
    }
}
