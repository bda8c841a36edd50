import MediaCore
import MediaTypes
import NIOCore
import SDP
import SIP

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

extension SIPService {
    /// Answers an INVITE for a test number; returns false when the INVITE is for someone else.
    func answerTestNumber(_ invite: SIPRequest, key: TransactionKey, from peer: SIPPeer, now: UInt64) -> Bool {
        guard let number = TestNumber(invite.uri), invite.headers["To"].flatMap({ try? NameAddress(parsing: $0) })?.tag == nil
        else { return false }
        let tag = Random.token(10)
        switch number {
        case .busy:
            respond(key, TransactionLayer.response(to: invite, .busyHere, toTag: tag), now: now)
        case .ring:
            guard let dialog = calls.open(invite, from: peer, localTag: tag) else { return false }
            var ringing = TransactionLayer.response(to: invite, .ringing, toTag: tag)
            ringing.headers.add("Contact", "<\(contactURI)>")
            ringingCalls[dialog.id] = key
            respond(key, ringing, now: now)
        case .echo, .tone:
            answerWithMedia(number, invite, key: key, from: peer, tag: tag, now: now)
        }
        return true
    }

    private func answerWithMedia(_ number: TestNumber, _ invite: SIPRequest, key: TransactionKey, from peer: SIPPeer,
                                 tag: String, now: UInt64) {
        func fail(_ code: Int, _ reason: String) {
            respond(key, TransactionLayer.response(to: invite, SIPStatus(code), reason: reason, toTag: tag), now: now)
        }
        guard let offer = try? SDPParser.parse(String(decoding: invite.body, as: UTF8.self)),
              let agreed = try? AudioNegotiation.negotiate(offer, codecs: [.pcmu, .pcma]), agreed.security == .none else {
            return fail(488, "Not Acceptable Here")
        }
        let timer = InviteServerCore.sessionTimer(for: invite)
        if timer.tooBrief {
            var brief = TransactionLayer.response(to: invite, .sessionIntervalTooSmall, toTag: tag)
            for (name, value) in timer.headers { brief.headers.add(name, value) }
            respond(key, brief, now: now)
            return
        }
        guard let port = settings.mediaPorts.acquire() else { return fail(503, "No Media Port") }
        guard let dialog = calls.open(invite, from: peer, localTag: tag) else {
            settings.mediaPorts.release(port)
            return fail(500, "Cannot Open Dialog")
        }
        let local = LocalAudioParameters(address: settings.mediaIP, port: port, codecs: [.pcmu, .pcma],
                                         ssrc: UInt32.random(in: 1...UInt32.max), cname: Random.token(8),
                                         sessionID: Random.digits(10))
        let answer = AudioNegotiation.answer(offer, agreed: agreed, local: local)
        let socket: EventLoopFuture<Channel>
        if number == .tone {
            guard let address = agreed.remoteAddress,
                  let destination = try? SocketAddress(ipAddress: address, port: Int(agreed.remotePort)) else {
                settings.mediaPorts.release(port)
                calls.close(dialog.id)
                return fail(488, "Not Acceptable Here")
            }
            socket = RTPToneSocket.open(on: loop, host: settings.mediaIP, port: port, to: destination,
                                        codec: agreed.codec,
                                        payloadType: agreed.payloadType)
        } else {
            socket = RTPEchoSocket.open(on: loop, host: settings.mediaIP, port: port)
        }
        socket.whenComplete { result in
            switch result {
            case .success(let channel):
                self.media[dialog.id] = (channel, port)
                let ok = Self.sdpAnswer(to: invite, contact: self.contactURI, sdp: Array(answer.text.utf8), toTag: tag,
                                        headers: timer.headers)
                self.respond(key, ok, now: Self.now())
                self.calls.sent2xx(ok, dialogID: dialog.id, now: Self.now())
                if let seconds = timer.interval { self.calls.runSessionTimer(dialog.id, seconds: seconds, now: Self.now()) }
                self.logger.info("\(number) call \(dialog.callID) answered, media on \(self.settings.mediaIP):\(port)")
            case .failure:
                self.settings.mediaPorts.release(port)
                self.calls.close(dialog.id)
                self.respond(key, TransactionLayer.response(to: invite, .serviceUnavailable, reason: "No Media Port", toTag: tag),
                             now: Self.now())
            }
            self.afterWork()
        }
    }

    /// Ends a call the peer stopped refreshing (RFC 4028 §10): BYE, then close.
    func expireSession(_ dialogID: String) {
        guard let call = calls.calls[dialogID] else { return }
        var dialog = call.dialog
        var bye = dialog.request(.bye, contact: contactURI)
        bye.headers.prepend("Via", Via.local(transport: call.peer.transport.rawValue, host: settings.listenHost,
                                             port: UInt16(boundPort ?? settings.listenPort),
                                             branchToken: Random.token(12)).description)
        let target = SIPPeer(call.peer.transport, host: dialog.remoteTarget.host, port: dialog.remoteTarget.port ?? 5060)
        let (_, outputs) = startTransaction(bye, to: call.peer.transport == .udp ? target : call.peer)
        handle(outputs, now: Self.now())
        logger.info("call \(dialog.callID): session expired without a refresh, sent BYE")
        endCall(dialogID)
    }

    /// Ends a test-number call: closes its media.
    func endCall(_ dialogID: String) {
        calls.close(dialogID)
        ringingCalls[dialogID] = nil
        if let (channel, port) = media.removeValue(forKey: dialogID) {
            channel.close(promise: nil)
            channel.closeFuture.whenComplete { _ in self.settings.mediaPorts.release(port) }
        }
    }
}
