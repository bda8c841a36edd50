import Foundation
import HTTPEdge
import MediaCore
import MediaTypes
import NIOCore
import SDP

/// Test routes for the browser leg until the signaling server exists:
/// POST /test/echo takes a WebRTC offer and answers it with a session whose
/// far end is an EchoPeer; GET /test/session?id= reports on it.
struct EchoTestRoutes: Sendable {
    let factory: BrowserLegFactory
    let registry: SessionRegistry
    let mediaIP: String

    func handle(_ request: RouteRequest, on loop: EventLoop) -> EventLoopFuture<RouteResponse>? {
        switch (request.method, request.path) {
        case (.POST, "/test/echo"): return echo(request, loop)
        case (.GET, "/test/session"):
            guard let id = request.query["id"], let status = registry.status(id),
                  let json = try? JSONEncoder().encode(status) else {
                return loop.makeSucceededFuture(.text("no such session\n", status: .notFound))
            }
            return loop.makeSucceededFuture(RouteResponse(contentType: "application/json", body: Array(json)))
        default: return nil
        }
    }

    private func echo(_ request: RouteRequest, _ loop: EventLoop) -> EventLoopFuture<RouteResponse> {
        let offer: SessionDescription
        do { offer = try SDPParser.parse(String(decoding: request.body, as: UTF8.self)) } catch {
            return loop.makeSucceededFuture(.text("bad SDP offer: \(error)\n", status: .badRequest))
        }
        let mode = EchoPeer.Mode(rawValue: request.query["mode"] ?? "echo") ?? .echo
        var settings = BrowserLegFactory.Settings(mediaIP: mediaIP)
        if request.query["setup"] == "active" { settings.preferredSetup = .active }
        if let list = request.query["codecs"] {
            settings.codecs = list.split(separator: ",").compactMap { AudioCodec(rawValue: String($0)) }
        }
        var loopLeg = MediaBridge.LegSettings.defaults(for: .other) // PCMU, as a SIP phone would
        loopLeg.ssrc = UInt32.random(in: 1...UInt32.max)
        return factory.open(.offer(offer), settings: settings, other: loopLeg, otherLeg: { _ in EchoPeer(mode: mode) })
            .map { opened in
                let body = ["id": opened.id, "type": "answer", "sdp": opened.answer.text]
                let json = (try? JSONSerialization.data(withJSONObject: body)) ?? Data()
                return RouteResponse(contentType: "application/json", body: Array(json))
            }
            .recover { error in .text("\(error)\n", status: .notAcceptable) }
    }
}
