import Identifiers
import MediaTypes
import SDP
import SignalingProtocol
import SIP

/// SIP -> browser: an INVITE for a signed-in user rings its browser; when the
/// browser answers it offers (as it does for its own calls), its leg opens,
/// and the INVITE gets its 200 with the SIP side's answer. A client that
/// answers offers (the Genesys one) gets our offer with the ring instead when
/// the INVITE brought one, and answers it. An INVITE without SDP (a delayed
/// offer, RFC 3261 §13.2.1) gets our offer in the 200, and its ACK brings the answer.
extension CallModel {
    /// A new INVITE (no To tag); true when the call model took it (answered it or rings).
    public func incomingInvite(_ r: SIPRequest, key: TransactionKey, from peer: SIPPeer, now: UInt64) -> Bool {
        if sessions.draining {
            // Shutting down: the SIP server tries another gateway (RFC 3261 §21.5.4).
            var unavailable = TransactionLayer.response(to: r, .serviceUnavailable, toTag: Random.token(10))
            unavailable.headers.add("Retry-After", "\(settings.drainRetryAfterSeconds)")
            outputs.append(.respond(key, unavailable))
            return true
        }
        guard let user = r.uri.user, let account = sessions.session(ofUser: user), account.state == .signedIn,
              callsOfSession[account.id] != nil else { return false }
        let session = account.id
        let tag = Random.token(10)
        func reply(_ code: Int, _ reason: String) {
            outputs.append(.respond(key, TransactionLayer.response(to: r, SIPStatus(code), reason: reason, toTag: tag)))
        }
        guard (callsOfSession[session]?.count ?? 0) < settings.maxCallsPerSession else { reply(486, "Busy Here"); return true }
        if let tooBrief = Self.sessionIntervalTooBrief(r, toTag: tag) {
            outputs.append(.respond(key, tooBrief))
            return true
        }
        let offer = SIPLegMedia.negotiate(r.body, isAnswer: false)
        guard r.body.isEmpty || offer?.1.security.isUsableOnSIPLeg == true else {
            reply(488, "Not Acceptable Here")
            return true
        }
        guard let port = ports.acquirePair() else { reply(503, "No Media Port"); return true }
        var ourOffer: BrowserOffer?
        if let offer, sessionsTakingOffers.contains(session), let browserOffers = settings.browserOffers {
            guard let browserPort = ports.acquire() else {
                ports.release(port)
                ports.release(port + 1)
                reply(503, "No Media Port")
                return true
            }
            ourOffer = BrowserOffer(port: browserPort, codecs: BrowserOffer.codecs(settings.browserCodecs, first: offer.1.codec),
                                    settings: browserOffers)
        }
        guard let dialog = dialogs.open(r, from: peer, localTag: tag) else {
            ports.release(port)
            ports.release(port + 1)
            if let ourOffer { ports.release(ourOffer.local.port) }
            reply(500, "Cannot Open Dialog")
            return true
        }
        let from = r.headers.from
        let call = Call(id: Random.token(16), session: session, user: user, direction: .incoming,
                        peer: from?.uri.user ?? from?.uri.description ?? "unknown",
                        sipMedia: SIPLegMedia(address: settings.mediaIP, port: port, offersSRTP: offer == nil && settings.offerSRTP),
                        now: now)
        call.inviteKey = key
        call.invite = r
        call.sipOffer = offer
        call.dialog = dialog
        call.sipPeer = peer
        call.localTag = tag
        call.ourOffer = ourOffer
        callsOfSession[session]?[call.id] = call
        calls[call.id] = call
        ringingByInvite[key] = call
        sipCalls.add(call, sipCallID: dialog.callID)
        sipCalls.add(call, dialogID: dialog.id)
        outputs.append(.openSIPMedia(call: call.id, port: port))
        var ringing = TransactionLayer.response(to: r, .ringing, toTag: tag)
        ringing.headers.add("Contact", "<\(contact(for: call))>")
        outputs.append(.respond(key, ringing))
        signal(session, .incoming(call: call.id, from: call.peer, fromName: from?.displayText,
                                  data: AttachedData.data(r.headers, prefix: settings.attachedDataPrefix),
                                  offer: ourOffer?.sdp.text))
        log(call, "call \(call.id): SIP call \(dialog.callID) from \(call.peer) rings \(user)")
        ringDeadlines.set(call.id, at: now &+ settings.ringTimeout)
        return true
    }

    func contact(for call: Call) -> SIPURI {
        SIPURI(user: call.user, host: settings.contactHost, port: settings.contactPort)
    }

    /// A failure response to the INVITE of a ringing incoming call.
    func respondToInvite(_ call: Call, _ code: Int, _ reason: String) {
        guard let invite = call.invite else { return }
        respondToInvite(call, TransactionLayer.response(to: invite, SIPStatus(code), reason: reason, toTag: call.localTag))
    }

    /// The 200 with our SDP (answer, or offer) to a ringing incoming call's INVITE.
    func acceptInvite(_ call: Call, sdp: [UInt8], now: UInt64) {
        guard let invite = call.invite else { return }
        let timer = InviteServerCore.sessionTimer(for: invite)
        let ok = TransactionLayer.sdpAnswer(to: invite, contact: contact(for: call), sdp: sdp, toTag: call.localTag,
                                            headers: timer.headers)
        respondToInvite(call, ok)
        // Our 2xx is sent again until its ACK (RFC 6026).
        guard let id = call.dialog?.id else { return }
        dialogs.sent2xx(ok, dialogID: id, now: now)
        if let seconds = timer.interval { dialogs.runSessionTimer(id, seconds: seconds, now: now) }
    }

    /// RFC 4028 §8.1: the 422 (with our Min-SE) for an INVITE or UPDATE whose session interval is below it.
    static func sessionIntervalTooBrief(_ r: SIPRequest, toTag: String? = nil) -> SIPResponse? {
        let timer = InviteServerCore.sessionTimer(for: r)
        guard timer.tooBrief else { return nil }
        var response = TransactionLayer.response(to: r, .sessionIntervalTooSmall, toTag: toTag)
        for (name, value) in timer.headers { response.headers.add(name, value) }
        return response
    }

    /// A re-INVITE or UPDATE in the dialog of a call we answered refreshes its session (RFC 4028 §9):
    /// the headers its 2xx carries, the timer run again.
    func refreshSession(_ call: Call, _ r: SIPRequest, response: inout SIPResponse, now: UInt64) {
        guard let id = call.dialog?.id else { return }
        let timer = InviteServerCore.sessionTimer(for: r)
        guard let seconds = timer.interval else { return }
        for (name, value) in timer.headers { response.headers.add(name, value) }
        dialogs.runSessionTimer(id, seconds: seconds, now: now)
    }

    private func respondToInvite(_ call: Call, _ response: SIPResponse) {
        guard let key = call.inviteKey else { return }
        ringingByInvite[key] = nil
        outputs.append(.respond(key, response))
    }

    func answer(_ call: Call, sdp: String?, now: UInt64) {
        guard call.phase == .ringing, !call.browserLegOpen else {
            return error(call.session, .badState, "call \(call.id) is not ringing", call: call.id, request: "answer")
        }
        guard let description = Self.browserOffer(sdp) else {
            return error(call.session, .badSDP, "answer needs the browser's SDP (its offer, or its answer to ours)",
                         call: call.id, request: "answer")
        }
        let browsers: BrowserLegSDP = call.ourOffer.map { .answer(description, to: $0) } ?? .offer(description)
        ringDeadlines.set(call.id, at: nil)
        call.phase = .answering
        guard let (_, agreed) = call.sipOffer else {
            // A delayed offer: the bridge is silent toward SIP until the ACK's answer.
            return openBrowserLeg(call, browsers, sipSide: call.sipMedia.legSettings(nil), direction: .inactive)
        }
        guard call.sipMedia.adopt(agreed) else {   // checked at the INVITE; keys made now
            respondToInvite(call, 488, "Not Acceptable Here")
            return finish(call, code: 488, reason: "the SIP offer's security is not usable", cause: .notAcceptable, now: now)
        }
        openBrowserLeg(call, browsers, sipSide: call.sipMedia.legSettings(agreed), direction: .sendrecv)
    }

    /// The browser leg of an answered incoming call is open: our 200 goes,
    /// with the answer to the SIP offer, or with our offer (delayed offer:
    /// the call is answered for the browser once the ACK brings a usable answer).
    func browserAnswered(_ call: Call, now: UInt64) {
        guard let (sipOffer, agreed) = call.sipOffer else {
            call.phase = .awaitingAnswerInACK
            return acceptInvite(call, sdp: call.sipMedia.offer(), now: now)
        }
        apply(agreed, to: call, local: .sendrecv)
        acceptInvite(call, sdp: call.sipMedia.answer(sipOffer, agreed: agreed), now: now)
        markAnswered(call, now: now, "call \(call.id) answered by \(call.user)")
    }

    /// A request in one of our dialogs with a higher CSeq: our 2xx got there, whatever became of its ACK.
    public func noteRequest(_ r: SIPRequest) { dialogs.noteRequest(r) }

    /// The ACK of a 2xx: true when it was for one of ours. For a delayed offer
    /// it carries the SIP peer's answer (without one, or with an unusable one,
    /// the call is ended with a BYE).
    public func acknowledged(_ ack: SIPRequest, now: UInt64) -> Bool {
        guard dialogs.ack(ack) else { return false }
        guard let call = sipCalls.call(for: ack), call.phase == .awaitingAnswerInACK else { return true }
        call.phase = .answered(Call.Hold())
        guard applySIPAnswer(call, ack.body) else {
            log(call, "call \(call.id): the ACK has no usable SDP answer to our offer, hanging up", .warning)
            hangUp(call, cause: .notAcceptable, reason: "the SIP peer's answer in its ACK is missing or not usable", now: now)
            return true
        }
        markAnswered(call, now: now, "call \(call.id) answered by \(call.user), the SIP answer in the ACK")
        return true
    }

    func reject(_ call: Call, now: UInt64) {
        guard call.phase == .ringing else {
            return error(call.session, .badState, "only a ringing incoming call can be rejected", call: call.id, request: "reject")
        }
        respondToInvite(call, 603, "Decline")
        finish(call, code: 603, reason: "rejected", cause: .rejected, now: now)
    }

    /// The INVITE transaction `inviteKey` was cancelled (the CANCEL is answered); true when it was one of ours.
    public func cancelled(inviteKey: TransactionKey, now: UInt64) -> Bool {
        guard let call = ringingByInvite[inviteKey] else { return false }
        respondToInvite(call, 487, "Request Terminated")
        finish(call, code: 487, reason: "cancelled by the caller", cause: .cancelled, now: now)
        return true
    }

    /// A dialog of ours failed (no ACK, session expired): its call ends with a BYE, or the dialog is forgotten.
    func dialogFailed(_ dialogID: String, reason: String, now: UInt64) {
        guard let call = sipCalls.call(dialogID: dialogID) else { return dialogs.close(dialogID) }
        log(call, "call \(call.id): \(reason), hanging up", .warning)
        hangUp(call, cause: .failed, reason: reason, now: now)
    }
}
