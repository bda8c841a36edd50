import Foundation
import HTTPEdge
import NIOCore

/// Files under Public/ (the test pages now; the JS library and softphone later).
struct StaticFiles: Sendable {
    let root: URL?

    init() { root = Bundle.module.resourceURL?.appendingPathComponent("Public") }

    func handle(_ request: HTTPRequest, on loop: EventLoop) -> EventLoopFuture<HTTPResponse>? {
        guard request.method == .GET, let root else { return nil }
        let path = request.path == "/" ? "/index.html" : request.path
        // Only plain names: no "..", no hidden files.
        guard !path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) else { return nil }
        let url = root.appendingPathComponent(String(path.dropFirst()))
        guard let data = try? Data(contentsOf: url) else { return nil }
        return loop.makeSucceededFuture(HTTPResponse(contentType: Self.type(of: path), body: Array(data)))
    }

    static func type(of path: String) -> String {
        if path.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if path.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        if path.hasSuffix(".css") { return "text/css; charset=utf-8" }
        return "application/octet-stream"
    }
}
