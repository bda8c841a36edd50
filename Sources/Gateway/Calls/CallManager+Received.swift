import GatewayCore
import MediaCore
import MediaTypes
import NIOCore
import SDP
import ShellSupport
import SIP
import SIPEndpoint

/// SIP -> browser: an INVITE for a signed-in user rings its browser; when the
/// browser answers it offers (as it does for its own calls), its leg opens,
/// and the INVITE gets its 200 with the SIP side's answer. An INVITE without
/// SDP (a delayed offer, RFC 3261 §13.2.1) gets our offer in the 200 instead,
/// and its ACK brings the answer.
extension CallManager {
    func incomingInvite(_ r: SIPRequest, key: TransactionKey, from peer: SIPPeer) -> Bool {
        guard let user = r.uri.user, let account = table.session(ofUser: user), account.state == .signedIn,
              let s = clients[account.id] else { return false }
        let tag = Random.token(10)
        func reply(_ code: Int, _ reason: String) {
            sip.respond(key, TransactionLayer.response(to: r, SIPStatus(code), reason: reason, toTag: tag), now: SIPService.now())
        }
        guard s.calls.count < ClientSession.maxCalls else { reply(486, "Busy Here"); return true }
        let offer = SIPLegMedia.negotiate(r.body, isAnswer: false)
        guard r.body.isEmpty || offer?.1.security.isUsableOnSIPLeg == true else {
            reply(488, "Not Acceptable Here")
            return true
        }
        guard let port = ports.acquirePair() else { reply(503, "No Media Port"); return true }
        guard let dialog = ua.openDialog(r, from: peer, localTag: tag) else {
            ports.release(port)
            ports.release(port + 1)
            reply(500, "Cannot Open Dialog")
            return true
        }
        let from = r.headers["From"].flatMap { try? NameAddress(parsing: $0) }
        let call = BrowserCall(id: Random.token(16), session: s, user: user, direction: .incoming,
                               peer: from?.uri.user ?? from?.uri.description ?? "unknown",
                               sipMedia: SIPLegMedia(address: settings.mediaIP, port: port,
                                                     offersSRTP: offer == nil && settings.offerSRTP))
        call.media = SIPMediaLeg(loop: group.next(), host: settings.mediaIP, port: port, ports: ports, logger: logger)
        call.inviteKey = key
        call.invite = r
        call.sipOffer = offer
        call.dialog = dialog
        call.sipPeer = peer
        call.localTag = tag
        s.calls[call.id] = call
        calls[call.id] = call
        ringingByInvite[key] = call
        sipCalls.add(call, sipCallID: dialog.callID)
        sipCalls.add(call, dialogID: dialog.id)
        var ringing = TransactionLayer.response(to: r, .ringing, toTag: tag)
        ringing.headers.add("Contact", "<\(contact(for: call))>")
        sip.respond(key, ringing, now: SIPService.now())
        s.send(.incoming(call: call.id, from: call.peer, fromName: from?.displayName.flatMap { $0.isEmpty ? nil : $0 }))
        logger.info("call \(call.id): SIP call \(dialog.callID) from \(call.peer) rings \(user)")
        loop.scheduleTask(in: settings.ringTimeout) { [weak self] in
            guard let self, call.phase == .ringing else { return }
            self.respondToInvite(call, 480, "No Answer")
            self.finish(call, code: 480, reason: "no answer", cause: .timeout)
        }
        return true
    }

    func contact(for call: BrowserCall) -> SIPURI {
        SIPURI(user: call.user, host: sip.settings.listenHost, port: UInt16(sip.boundPort ?? sip.settings.listenPort))
    }

    /// A failure response to the INVITE of a ringing incoming call.
    func respondToInvite(_ call: BrowserCall, _ code: Int, _ reason: String) {
        guard let invite = call.invite else { return }
        respondToInvite(call, TransactionLayer.response(to: invite, SIPStatus(code), reason: reason, toTag: call.localTag))
    }

    /// The 200 with our SDP answer to a ringing incoming call's INVITE.
    func acceptInvite(_ call: BrowserCall, sdp: [UInt8]) {
        guard let invite = call.invite else { return }
        respondToInvite(call, SIPService.sdpAnswer(to: invite, contact: contact(for: call), sdp: sdp, toTag: call.localTag))
    }

    private func respondToInvite(_ call: BrowserCall, _ response: SIPResponse) {
        guard let key = call.inviteKey else { return }
        let code = response.statusCode
        ringingByInvite[key] = nil
        sip.respond(key, response, now: SIPService.now())
        if code < 300, let id = call.dialog?.id { ua.sent2xx(response, dialogID: id) }
        sip.afterWork()
    }

    func answer(_ call: BrowserCall, sdp: String?) {
        let s = call.session
        guard call.phase == .ringing, call.leg == nil else {
            return s.error(.badState, "call \(call.id) is not ringing", call: call.id, request: "answer")
        }
        guard let offer = Self.browserOffer(sdp) else {
            return s.error(.badSDP, "answer needs the browser's SDP offer", call: call.id, request: "answer")
        }
        guard let (sipOffer, agreed) = call.sipOffer else { return answerWithOffer(call, browserOffer: offer) }
        guard call.sipMedia.adopt(agreed) else {   // checked at the INVITE; keys made now
            respondToInvite(call, 488, "Not Acceptable Here")
            return finish(call, code: 488, reason: "the SIP offer's security is not usable", cause: .notAcceptable)
        }
        call.phase = .answering
        openBrowserLeg(call, offer: offer, other: call.sipMedia.legSettings(agreed), direction: .sendrecv) {
            guard call.phase == .answering else { return }
            self.apply(agreed, to: call, local: .sendrecv)
            self.acceptInvite(call, sdp: call.sipMedia.answer(sipOffer, agreed: agreed))
            call.phase = .answered(BrowserCall.Hold())
            call.session.send(.answered(call: call.id))
            self.logger.info("call \(call.id) answered by \(call.user)")
            self.logMedia(call)
        }
    }

    /// A delayed-offer INVITE: the 200 carries our offer; the call is answered
    /// for the browser once the ACK brings a usable answer (`acknowledged`).
    private func answerWithOffer(_ call: BrowserCall, browserOffer: SessionDescription) {
        call.phase = .answering
        openBrowserLeg(call, offer: browserOffer, other: call.sipMedia.legSettings(nil), direction: .inactive) {
            guard call.phase == .answering else { return }
            call.phase = .awaitingAnswerInACK
            self.acceptInvite(call, sdp: call.sipMedia.offer())
        }
    }

    /// The ACK of our 2xx; for a delayed offer it carries the SIP peer's answer
    /// (without one, or with an unusable one, the call is ended with a BYE).
    func acknowledged(_ ack: SIPRequest) {
        guard let call = sipCalls.call(for: ack), call.phase == .awaitingAnswerInACK else { return }
        call.phase = .answered(BrowserCall.Hold())
        guard applySIPAnswer(call, ack.body) else {
            logger.warning("call \(call.id): the ACK has no usable SDP answer to our offer, hanging up")
            return hangUp(call, cause: .notAcceptable, reason: "the SIP peer's answer in its ACK is missing or not usable")
        }
        call.session.send(.answered(call: call.id))
        logger.info("call \(call.id) answered by \(call.user), the SIP answer in the ACK")
        logMedia(call)
    }

    func reject(_ call: BrowserCall) {
        guard call.phase == .ringing else {
            return call.session.error(.badState, "only a ringing incoming call can be rejected", call: call.id, request: "reject")
        }
        respondToInvite(call, 603, "Decline")
        finish(call, code: 603, reason: "rejected", cause: .rejected)
    }

    func cancelled(inviteKey: TransactionKey) -> Bool {
        guard let call = ringingByInvite[inviteKey] else { return false }
        respondToInvite(call, 487, "Request Terminated")
        finish(call, code: 487, reason: "cancelled by the caller", cause: .cancelled)
        return true
    }

    func dialogFailed(_ dialogID: String, reason: String) -> Bool {
        guard let call = sipCalls.call(dialogID: dialogID) else { return false }
        hangUp(call, cause: .failed, reason: reason)
        return true
    }
}
