import MediaCore
import MediaTypes
import NIOCore
import SDP
import ShellSupport
import SIP
import SIPEndpoint

/// The numbers the embedded SIP server answers itself, as a user agent:
/// `echo` (answers and returns the caller's RTP), `tone` (answers and plays
/// 1 kHz), `busy` (486) and `ring` (rings until cancelled). They make the demo
/// work with no SIP network, and the SIP stack testable with sipp alone.
enum TestNumber: String, CaseIterable {
    case echo, tone, busy, ring

    init?(_ uri: SIPURI) {
        guard let user = uri.user else { return nil }
        self.init(rawValue: user.lowercased())
    }
}

extension EmbeddedServer {
    /// Answers an INVITE for a test number; returns false when the INVITE is for someone else.
    func answerTestNumber(_ invite: SIPRequest, key: TransactionKey, from peer: SIPPeer, now: UInt64) -> Bool {
        guard let number = TestNumber(invite.uri), invite.headers.to?.tag == nil
        else { return false }
        let tag = Random.token(10)
        switch number {
        case .busy:
            service.respond(key, TransactionLayer.response(to: invite, .busyHere, toTag: tag), now: now)
        case .ring:
            guard let dialog = testCalls.dialogs.open(invite, from: peer, localTag: tag) else { return false }
            var ringing = TransactionLayer.response(to: invite, .ringing, toTag: tag)
            ringing.headers.add("Contact", "<\(service.contactURI)>")
            ringingCalls[dialog.id] = key
            service.respond(key, ringing, now: now)
        case .echo, .tone:
            answerWithMedia(number, invite, key: key, from: peer, tag: tag, now: now)
        }
        return true
    }

    private func answerWithMedia(_ number: TestNumber, _ invite: SIPRequest, key: TransactionKey, from peer: SIPPeer,
                                 tag: String, now: UInt64) {
        func fail(_ status: SIPStatus, _ reason: String? = nil) {
            service.respond(key, TransactionLayer.response(to: invite, status, reason: reason, toTag: tag), now: now)
        }
        guard let offer = try? SDPParser.parse(String(decoding: invite.body, as: UTF8.self)),
              let agreed = try? AudioNegotiation.negotiate(offer, codecs: [.pcmu, .pcma]), agreed.security == .none else {
            return fail(.notAcceptableHere)
        }
        let timer = InviteServerCore.sessionTimer(for: invite)
        if timer.tooBrief {
            var brief = TransactionLayer.response(to: invite, .sessionIntervalTooSmall, toTag: tag)
            for (name, value) in timer.headers { brief.headers.add(name, value) }
            service.respond(key, brief, now: now)
            return
        }
        guard let port = service.settings.mediaPorts.acquire() else { return fail(.serviceUnavailable, "No Media Port") }
        guard let dialog = testCalls.dialogs.open(invite, from: peer, localTag: tag) else {
            service.settings.mediaPorts.release(port)
            return fail(.serverInternalError, "Cannot Open Dialog")
        }
        let local = LocalAudioParameters(address: service.settings.mediaIP, port: port, codecs: [.pcmu, .pcma],
                                         ssrc: UInt32.random(in: 1...UInt32.max), cname: Random.token(8),
                                         sessionID: Random.digits(10))
        let answer = AudioNegotiation.answer(offer, agreed: agreed, local: local)
        let socket: EventLoopFuture<Channel>
        if number == .tone {
            guard let address = agreed.remoteAddress,
                  let destination = try? SocketAddress(ipAddress: address, port: Int(agreed.remotePort)) else {
                service.settings.mediaPorts.release(port)
                testCalls.dialogs.close(dialog.id)
                return fail(.notAcceptableHere)
            }
            socket = RTPToneSocket.open(on: service.loop, host: service.settings.mediaIP, port: port, to: destination,
                                        codec: agreed.codec, payloadType: agreed.payloadType)
        } else {
            socket = RTPEchoSocket.open(on: service.loop, host: service.settings.mediaIP, port: port)
        }
        socket.whenComplete { result in
            switch result {
            case .success(let channel):
                self.testCalls.adopt(channel, port: port, for: dialog.id)
                let ok = TransactionLayer.sdpAnswer(to: invite, contact: self.service.contactURI, sdp: Array(answer.text.utf8),
                                              toTag: tag, headers: timer.headers)
                self.service.respond(key, ok, now: SIPService.now())
                self.testCalls.dialogs.sent2xx(ok, dialogID: dialog.id, now: SIPService.now())
                if let seconds = timer.interval { self.testCalls.dialogs.runSessionTimer(dialog.id, seconds: seconds, now: SIPService.now()) }
                self.service.logger.info("\(number) call \(dialog.callID) answered, media on \(self.service.settings.mediaIP):\(port)")
            case .failure:
                self.service.settings.mediaPorts.release(port)
                self.testCalls.dialogs.close(dialog.id)
                self.service.respond(key, TransactionLayer.response(to: invite, .serviceUnavailable, reason: "No Media Port",
                                                                    toTag: tag), now: SIPService.now())
            }
            self.service.afterWork()
        }
    }

    /// Ends a call the peer stopped refreshing (RFC 4028 §10): BYE, then close.
    func expireSession(_ dialogID: String) {
        guard let call = testCalls.dialogs.calls[dialogID] else { return }
        var dialog = call.dialog
        var bye = dialog.request(.bye, contact: service.contactURI)
        bye.headers.prepend("Via", Via.local(transport: call.peer.transport.rawValue, host: service.settings.advertisedHost,
                                             port: UInt16(service.boundPort ?? service.settings.listenPort),
                                             branchToken: Random.token(12)).description)
        let target = SIPPeer(call.peer.transport, host: dialog.remoteTarget.host, port: dialog.remoteTarget.port ?? 5060)
        let (_, outputs) = service.startTransaction(bye, to: call.peer.transport == .udp ? target : call.peer)
        service.handle(outputs, now: SIPService.now())
        service.logger.info("call \(dialog.callID): session expired without a refresh, sent BYE")
        endCall(dialogID)
    }

    /// Ends a test-number call: closes its media.
    func endCall(_ dialogID: String) {
        testCalls.dialogs.close(dialogID)
        ringingCalls[dialogID] = nil
        testCalls.closeMedia(dialogID)
    }
}
