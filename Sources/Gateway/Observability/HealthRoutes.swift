import HTTPEdge
import NIOCore
import SIPEndpoint

/// GET /healthz (alive: the user agent's event loop answers) and GET /readyz
/// (ready for calls: the SIP server answers its probe, the configured
/// accounts are registered, no drain has begun), for load balancers and
/// Kubernetes probes. Not ready is 503 with the reason.
struct HealthRoutes: Sendable {
    let ua: UserAgent

    func handle(_ request: RouteRequest, on loop: EventLoop) -> EventLoopFuture<RouteResponse>? {
        guard request.method == .GET else { return nil }
        let ua = self.ua
        switch request.path {
        case "/healthz":
            return ua.loop.submit { RouteResponse.text("alive\n") }
        case "/readyz":
            return ua.loop.submit {
                guard let why = ua.core.notReady else { return RouteResponse.text("ready\n") }
                return RouteResponse.text("not ready: \(why)\n", status: .serviceUnavailable)
            }
        default:
            return nil
        }
    }
}
