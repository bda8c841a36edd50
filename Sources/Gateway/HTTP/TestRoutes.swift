import HTTPEdge
import NIOCore

/// The test suite's routes under /test/, mounted only with --test-routes on a
/// loopback HTTP listener (GatewayServer.checkExposure).
struct TestRoutes: Sendable {
    let echo: EchoTestRoutes
    let sipStatus: SIPStatusRoute
    let calls: OutgoingCallRoutes

    func handle(_ request: RouteRequest, on loop: EventLoop) -> EventLoopFuture<RouteResponse>? {
        guard request.path.hasPrefix("/test/") else { return nil }
        return echo.handle(request, on: loop) ?? sipStatus.handle(request, on: loop) ?? calls.handle(request, on: loop)
    }
}
