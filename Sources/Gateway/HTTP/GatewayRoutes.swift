import HTTPEdge
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import SignalingProtocol

/// Where each HTTP path goes: the WebSocket at /ws, the long-poll routes, the
/// status, health and metrics routes, the test routes (when enabled), and
/// the files; all behind the edge router's checks.
struct GatewayRoutes {
    let longPoll: LongPollRoutes
    let status: StatusRoute
    let health: HealthRoutes
    let metrics: MetricsRoute
    let test: TestRoutes?
    let files: StaticFiles

    func router(hosts: HostPolicy, origins: OriginPolicy, proxies: TrustedProxies, manager: CallManager)
        -> Router<GatewayRequestContext> {
        let router = EdgeRouter.make(hosts: hosts, cors: CORSPolicy(origins: origins), proxies: proxies)
        router.ws(RouterPath(WebSocketSignaling.path), shouldUpgrade: { request, _ in
            EdgeRouter.permitsUpgrade(request, hosts: hosts, origins: origins) ? .upgrade([:]) : .dontUpgrade
        }, onUpgrade: { inbound, outbound, context in
            await WebSocketSignaling.serve(inbound, outbound, source: context.requestContext.source, manager: manager)
        })
        func add(_ paths: [String], _ methods: [HTTPTypes.HTTPRequest.Method], _ route: @escaping HTTPRouter) {
            for path in paths {
                for method in methods { router.on(RouterPath(path), method: method, use: EdgeRouter.handler(route)) }
            }
        }
        let (longPoll, status, health, metrics, test, files) = (longPoll, status, health, metrics, test, files)
        add(Array(LongPollRequest.paths), [.get, .post]) { request, loop in
            longPoll.handle(request, on: loop) ?? Self.notFound(loop)
        }
        add(["/status", "/healthz", "/readyz", "/metrics"], [.get]) { request, loop in
            status.handle(request, on: loop) ?? health.handle(request, on: loop) ?? metrics.handle(request, on: loop)
                ?? Self.notFound(loop)
        }
        if let test {
            add(["/test/**"], [.get, .post]) { request, loop in
                test.handle(request, on: loop) ?? files.handle(request, on: loop) ?? Self.notFound(loop)  // the test pages are files
            }
        }
        add(["/", "/**"], [.get]) { request, loop in files.handle(request, on: loop) ?? Self.notFound(loop) }
        return router
    }

    private static func notFound(_ loop: EventLoop) -> EventLoopFuture<RouteResponse> {
        loop.makeSucceededFuture(.text("not found\n", status: .notFound))
    }
}
