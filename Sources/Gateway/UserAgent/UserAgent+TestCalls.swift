import Foundation
import HTTPEdge
import NIOCore
import SDP
import ShellSupport
import SIP
import SIPEndpoint

/// Test calls the user agent places (with --test-routes): POST /test/call?user=1001&to=sip:2000@host
/// places one with a PCMU offer whose media is echoed; GET /test/calls
/// reports; POST /test/hold|resume?id= sends a re-INVITE; POST
/// /test/hangup?id= ends one (CANCEL while ringing, BYE once answered).
extension UserAgent {
    func placeCall(user: String, to: SIPURI) -> EventLoopFuture<String> {
        loop.submit {
            guard let port = self.service.settings.mediaPorts.acquire() else { throw SIPServiceError.noMediaPort }
            let password = self.service.settings.accounts.first { $0.user == user }?.password
            let local = LocalAudioParameters(address: self.service.settings.mediaIP, port: port, codecs: [.pcmu, .pcma],
                                             ssrc: UInt32.random(in: 1...UInt32.max), cname: Random.token(8),
                                             sessionID: Random.digits(10))
            let offer = AudioNegotiation.offer(local: local)
            let boundPort = UInt16(self.service.boundPort ?? self.service.settings.listenPort)
            // Test calls go straight to the Request-URI's host, not through the SIP server.
            let hop = SIPPeer(to.parameters.value("transport")?.lowercased() == "tcp" ? .tcp : .udp, host: to.host,
                              port: to.port ?? 5060)
            let call = OutgoingCall(
                settings: .init(from: SIPURI(user: user, host: self.service.settings.domain), to: to,
                                contact: SIPURI(user: user, host: self.service.settings.advertisedHost, port: boundPort),
                                credentials: password.map { DigestCredentials(username: user, password: $0) },
                                via: (hop.transport.rawValue, self.service.settings.advertisedHost, boundPort)),
                offer: Array(offer.text.utf8), token: { Random.token(12) })
            let callID = call.callID
            RTPEchoSocket.open(on: self.loop, host: self.service.settings.mediaIP, port: port).whenComplete { result in
                if case .success(let channel) = result { self.testCalls.adopt(channel, port: port, for: callID) } else {
                    self.service.settings.mediaPorts.release(port)
                }
            }
            self.core.place(call, route: hop, now: SIPService.now())
            self.drive()
            return call.callID
        }
    }

    func hangUp(_ callID: String) -> EventLoopFuture<Bool> {
        loop.submit {
            guard let call = self.core.placed[callID], let request = call.bye() ?? call.cancel() else { return false }
            self.core.send(request, inPlacedCall: callID, now: SIPService.now())
            self.drive()
            return true
        }
    }

    /// Holds (sendonly) or resumes (sendrecv) a placed call by re-INVITE.
    func changeDirection(_ callID: String, _ direction: MediaDirection) -> EventLoopFuture<Bool> {
        loop.submit {
            guard let call = self.core.placed[callID], let port = self.testCalls.port(of: callID) else { return false }
            var local = LocalAudioParameters(address: self.service.settings.mediaIP, port: port, codecs: [.pcmu, .pcma],
                                             ssrc: 1, cname: "gw", sessionID: "1")
            local.direction = direction
            local.sessionVersion = UInt64(SIPService.now() / 1_000_000)
            guard let request = call.reinvite(offer: Array(AudioNegotiation.offer(local: local).text.utf8)) else { return false }
            self.core.send(request, inPlacedCall: callID, now: SIPService.now())
            self.drive()
            return true
        }
    }

    func callStates() -> EventLoopFuture<[String: String]> {
        loop.submit { self.core.placed.states }
    }

    /// A request the core left: in the dialog of a call the test routes placed
    /// (a re-INVITE answered for its media port), or of one of our test dialogs.
    func answerTestCall(_ r: SIPRequest, key: TransactionKey, from peer: SIPPeer, now: UInt64) -> Bool {
        guard r.method == .invite, let call = core.placed.call(in: r) else {
            return testCalls.inDialog(r, key: key, from: peer, now: now) { testCalls.dialogs.close($0) }
        }
        guard let port = testCalls.port(of: call.callID), let (ok, _) = testCalls.reinviteAnswer(r, port: port) else {
            service.respond(key, TransactionLayer.response(to: r, .notAcceptableHere), now: now)
            return true
        }
        service.respond(key, ok, now: now)
        if let dialog = call.dialog { testCalls.dialogs.sent2xx(ok, in: dialog, peer: core.placed.nextHop(for: call.callID), now: now) }
        return true
    }
}

enum SIPServiceError: Error { case noMediaPort }

struct OutgoingCallRoutes: Sendable {
    let service: UserAgent

    func handle(_ request: RouteRequest, on loop: EventLoop) -> EventLoopFuture<RouteResponse>? {
        switch (request.method, request.path) {
        case (.POST, "/test/call"):
            guard let user = request.query["user"], let to = request.query["to"].flatMap({ try? SIPURI(parsing: $0) }) else {
                return loop.makeSucceededFuture(.text("want user= and to=\n", status: .badRequest))
            }
            return service.placeCall(user: user, to: to).map { .text($0) }
                .recover { _ in .text("no media port\n", status: .serviceUnavailable) }
        case (.POST, "/test/hangup"):
            return service.hangUp(request.query["id"] ?? "").map { $0 ? .text("ok\n") : .text("no such call\n", status: .notFound) }
        case (.POST, "/test/hold"), (.POST, "/test/resume"):
            let direction: MediaDirection = request.path == "/test/hold" ? .sendonly : .sendrecv
            return service.changeDirection(request.query["id"] ?? "", direction)
                .map { $0 ? .text("ok\n") : .text("no such call, or a re-INVITE is pending\n", status: .conflict) }
        case (.GET, "/test/calls"):
            return service.callStates().map { states in
                RouteResponse(contentType: "application/json", body: Array((try? JSONSerialization.data(withJSONObject: states)) ?? Data()))
            }
        default:
            return nil
        }
    }
}
