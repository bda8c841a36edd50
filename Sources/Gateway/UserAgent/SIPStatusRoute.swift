import Foundation
import HTTPEdge
import NIOCore

/// GET /test/sip: the registration state of each account, as JSON (for tests
/// and diagnostics until the signaling server reports it per user).
struct SIPStatusRoute: Sendable {
    let ua: UserAgent

    func handle(_ request: RouteRequest, on loop: EventLoop) -> EventLoopFuture<RouteResponse>? {
        guard request.method == .GET, request.path == "/test/sip" else { return nil }
        let body: [String: Any] = ["port": ua.service.boundPort ?? 0,
                                   "registrations": ua.status.withLockedValue { $0 }]
        let json = (try? JSONSerialization.data(withJSONObject: body)) ?? Data()
        return loop.makeSucceededFuture(RouteResponse(contentType: "application/json", body: Array(json)))
    }
}
