import Foundation
import HTTPEdge
import NIOCore
import ShellSupport
import SIPEndpoint

/// GET /status: counts of what the gateway holds (sessions, calls, SIP
/// dialogs, media ports), the browser legs' packet count and what was refused
/// at a limit (per reason), for monitoring
/// and for the tests' "nothing left open" checks. No names, numbers or addresses.
struct StatusRoute: Sendable {
    let manager: CallManager
    /// The embedded SIP server's shards (none with --sip-server).
    let embedded: [SIPService]
    let ports: MediaPortPool
    let registry: SessionRegistry

    func handle(_ request: RouteRequest, on loop: EventLoop) -> EventLoopFuture<RouteResponse>? {
        guard request.method == .GET, request.path == "/status" else { return nil }
        let ua = manager.ua
        let gateway = manager.loop.submit { () -> [String: Int] in
            let sip = ua.counts
            return ["sessions": manager.model.sessions.count, "signedIn": manager.model.sessions.signedInUsers,
                    "calls": manager.model.callCount,
                    "sipDialogs": sip.dialogs, "sipPlacedCalls": sip.placedCalls, "registrations": sip.registrations]
        }
        let server = EventLoopFuture.whenAllSucceed(embedded.map { s in s.loop.submit { s.role?.dialogCount ?? 0 } }, on: loop)
        return gateway.and(server).map { gateway, perLoop in
            var body: [String: Any] = ["gateway": gateway, "mediaPortsFree": ports.freeCount,
                                       "browserPackets": registry.browserPackets, "refused": manager.refusals.snapshot]
            if !embedded.isEmpty { body["embeddedServer"] = ["dialogs": perLoop.reduce(0, +), "dialogsPerLoop": perLoop] }
            let json = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
            return RouteResponse(contentType: "application/json", body: Array(json))
        }
    }
}
