import Foundation
import NIOCore
import SDP
import ShellSupport
import SIP
import SIPEndpoint

/// Calls the user agent places: the SIP side of browsers' calls (for the
/// call model), and test calls: POST /test/call?user=1001&to=sip:2000@host
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
                                contact: SIPURI(user: user, host: self.service.settings.listenHost, port: boundPort),
                                credentials: password.map { DigestCredentials(username: user, password: $0) },
                                via: (hop.transport.rawValue, self.service.settings.listenHost, boundPort)),
                offer: Array(offer.text.utf8), token: { Random.token(12) })
            self.outgoing[call.callID] = call
            self.routes[call.callID] = hop
            let callID = call.callID
            RTPEchoSocket.open(on: self.loop, host: self.service.settings.mediaIP, port: port).whenComplete { result in
                if case .success(let channel) = result { self.testCalls.adopt(channel, port: port, for: callID) } else {
                    self.service.settings.mediaPorts.release(port)
                }
            }
            self.sendOutgoing(call.invite, for: call)
            self.service.afterWork()
            return call.callID
        }
    }

    func hangUp(_ callID: String) -> EventLoopFuture<Bool> {
        loop.submit {
            guard let call = self.outgoing[callID] else { return false }
            if let bye = call.bye() {
                self.sendOutgoing(bye, for: call)
            } else if let cancel = call.cancel() {
                self.sendOutgoing(cancel, for: call)
            } else {
                return false
            }
            self.service.afterWork()
            return true
        }
    }

    /// Holds (sendonly) or resumes (sendrecv) a placed call by re-INVITE.
    func changeDirection(_ callID: String, _ direction: MediaDirection) -> EventLoopFuture<Bool> {
        loop.submit {
            guard let call = self.outgoing[callID], let port = self.testCalls.port(of: callID) else { return false }
            var local = LocalAudioParameters(address: self.service.settings.mediaIP, port: port, codecs: [.pcmu, .pcma],
                                             ssrc: 1, cname: "gw", sessionID: "1")
            local.direction = direction
            local.sessionVersion = UInt64(SIPService.now() / 1_000_000)
            guard let request = call.reinvite(offer: Array(AudioNegotiation.offer(local: local).text.utf8)) else { return false }
            self.sendOutgoing(request, for: call)
            self.service.afterWork()
            return true
        }
    }

    func callStates() -> EventLoopFuture<[String: String]> {
        loop.submit {
            self.outgoing.mapValues { call in
                "\(call.state)" + (call.lastReinviteResult.map { " reinvite \($0)" } ?? "")
            }
        }
    }

    /// Where a placed call's requests go: the SIP server (outbound proxy), or where the call was routed.
    func nextHop(for call: OutgoingCall) -> SIPPeer { routes[call.callID] ?? serverPeer }

    func sendOutgoing(_ request: SIPRequest, for call: OutgoingCall) {
        let (key, outputs) = service.startTransaction(request, to: nextHop(for: call), cancelling: call.invite)
        outgoingByTransaction.add(key, owner: call.callID)
        reschedule(placedCall: call.callID)
        service.handle(outputs, now: SIPService.now())
    }

    /// A response for one of our calls' transactions, or a 2xx that outlived its transaction.
    func outgoingResponse(_ response: SIPResponse, callID: String) {
        guard let call = outgoing[callID], let method = response.headers["CSeq"].flatMap({ try? CSeq(parsing: $0) })?.method
        else { return }
        defer { reschedule(placedCall: callID) }
        if method == .bye, response.statusCode >= 200 {
            // Our BYE is answered: again with credentials if challenged, else the call is over here.
            if let retry = call.byeChallenged(response) { sendOutgoing(retry, for: call) } else { endOutgoing(callID) }
            return
        }
        if method == .update, response.statusCode >= 200 {
            call.refreshAnswered(response, now: SIPService.now())
            return
        }
        guard method == .invite else { return }
        let before = call.state
        let (invite, ack) = call.handle(response, now: SIPService.now())
        if let invite { sendOutgoing(invite, for: call) }
        if let ack { service.writeRequest(ack, to: nextHop(for: call)) }
        if let bye = call.byeAfterCancel() {
            logger.info("outgoing call \(callID): answered after our CANCEL, ending it")
            return sendOutgoing(bye, for: call)     // its answer (or timeout) ends the call here
        }
        if call.state != before { logger.info("outgoing call \(callID): \(call.state)") }
        callHandler?.placedCallChanged(call, response: response)
        if case .ended = call.state { endOutgoing(callID) }
    }

    func endOutgoing(_ callID: String) {
        outgoingByTransaction.removeAll(of: callID)
        // The final state stays readable for a while (status route), then goes.
        _ = loop.scheduleTask(in: .seconds(60)) {
            self.outgoing[callID] = nil
            self.routes[callID] = nil
            self.reschedule(placedCall: callID)
        }
        testCalls.closeMedia(callID)
    }
}

enum SIPServiceError: Error { case noMediaPort }

struct OutgoingCallRoutes: Sendable {
    let service: UserAgent

    func handle(_ request: HTTPRequest, on loop: EventLoop) -> EventLoopFuture<HTTPResponse>? {
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
                HTTPResponse(contentType: "application/json", body: Array((try? JSONSerialization.data(withJSONObject: states)) ?? Data()))
            }
        default:
            return nil
        }
    }
}
