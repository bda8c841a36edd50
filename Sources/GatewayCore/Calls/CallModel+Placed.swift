import Identifiers
import MediaCore
import MediaTypes
import SDP
import SignalingProtocol
import SIP

/// Browser -> SIP: the browser offers, its leg opens at once (so ICE and
/// DTLS run while the far end rings), and an INVITE goes to the SIP server.
extension CallModel {
    func placeCall(_ session: String, id: String, to: String?, sdp: String?, data: [String: String], now: UInt64) {
        guard !sessions.draining else { return error(session, .draining, "the gateway is shutting down", call: id) }
        guard callsOfSession[session]?[id] == nil, calls[id] == nil else {
            return error(session, .badMessage, "call id \(id) is in use", call: id)
        }
        guard (callsOfSession[session]?.count ?? 0) < settings.maxCallsPerSession else {
            return error(session, .tooManyCalls, "at most \(settings.maxCallsPerSession) calls at once", call: id)
        }
        guard let to, SignalingToken.isNumber(to) else {
            return error(session, .badNumber, "dial a number or user name (letters, digits, . _ - + * #)", call: id)
        }
        guard let account = sessions[session], let user = account.user else { return }
        guard !account.anonymous || settings.sessions.anonymousDestinations.contains(to) else {
            outputs.append(.refused(reason: "anonymous-destination"))
            return error(session, .forbidden, "anonymous users may call only the configured numbers", call: id)
        }
        guard let offer = Self.browserOffer(sdp) else { return error(session, .badSDP, "call needs the browser's SDP offer", call: id) }
        guard let headers = AttachedData.headers(data, prefix: settings.attachedDataPrefix) else {
            return error(session, .badMessage, AttachedData.rule, call: id)
        }
        guard let port = ports.acquirePair() else {
            return error(session, .noMediaPort, "the gateway has no free media ports", call: id)
        }
        let call = Call(id: id, session: session, user: user, direction: .outgoing, peer: to,
                        sipMedia: SIPLegMedia(address: settings.mediaIP, port: port, offersSRTP: settings.offerSRTP), now: now)
        call.attachedHeaders = headers
        callsOfSession[session]?[id] = call
        calls[id] = call
        outputs.append(.openSIPMedia(call: id, port: port))
        openBrowserLeg(call, .offer(offer), sipSide: call.sipMedia.legSettings(nil), direction: .sendrecv)
        // A far end that rings forever (or never answers at all) does not hold the call and its ports.
        ringDeadlines.set(id, at: now &+ settings.ringTimeout)
    }

    static func browserOffer(_ sdp: String?) -> SessionDescription? {
        guard let sdp, sdp.utf8.count <= 32 * 1024 else { return nil }
        return try? SDPParser.parse(sdp)
    }

    func openBrowserLeg(_ call: Call, _ sdp: BrowserLegSDP, sipSide: MediaBridge.LegSettings, direction: MediaDirection) {
        call.browserOffer = sdp.browsers
        if case .answer = sdp { call.ourOfferOpened = true }     // the shell owns its port now
        outputs.append(.openBrowserLeg(call: call.id, sdp: sdp, sipSide: sipSide, direction: direction))
    }

    /// The shell opened `call`'s browser leg and has our answer-shaped
    /// description: it goes to the browser (unless the browser answered our
    /// offer), then the call goes on where its phase says.
    public func browserLegOpened(call id: String, answer: String, now: UInt64) {
        guard let call = calls[id] else { return }
        call.browserLegOpen = true
        call.browserAnswer = try? SDPParser.parse(answer)
        if !(call.phase == .answering && call.ourOffer != nil) { signal(call.session, .sdp(call: id, sdp: answer)) }
        switch call.phase {
        case .offering: startSIPCall(call)
        case .answering: browserAnswered(call, now: now)
        case .answered: browserLegReplaced(call)
        default: break
        }
    }

    /// The browser leg could not be opened (the browser's offer is not usable).
    public func browserLegFailed(call id: String, reason: String, now: UInt64) {
        guard let call = calls[id] else { return }
        if call.isUp { return hangUp(call, cause: .notAcceptable, reason: reason, now: now) }   // a replacing leg
        if call.direction == .incoming { respondToInvite(call, 488, "Not Acceptable Here") }
        finish(call, code: 488, reason: reason, cause: .notAcceptable, now: now)
    }

    private func startSIPCall(_ call: Call) {
        let user = call.user
        let host = settings.contactHost, port = settings.contactPort
        let password = sessions[call.session]?.password
        var placing = OutgoingCall.Settings(
            from: SIPURI(user: user, host: settings.domain), to: SIPURI(user: call.peer, host: settings.domain),
            contact: SIPURI(user: user, host: host, port: port), credentials: password.map { DigestCredentials(username: user, password: $0) },
            via: (settings.server.transport.rawValue, host, port))
        placing.extraHeaders = call.attachedHeaders
        let placed = OutgoingCall(settings: placing, offer: call.sipMedia.offer(), token: { Random.token(12) })
        call.placed = placed
        call.phase = .calling
        sipCalls.add(call, sipCallID: placed.callID)
        log(call, "call \(call.id): \(user) calls \(call.peer), SIP call \(placed.callID)")
        outputs.append(.place(placed))
    }

    /// A call we placed changed: a response to its INVITE or re-INVITE, a far-end BYE, a timeout.
    public func placedCallChanged(_ placed: OutgoingCall, response: SIPResponse?, now: UInt64) {
        // A call hung up while its INVITE was out is no longer here (a 2xx crossing
        // the CANCEL is ended by the user agent).
        guard let call = sipCalls.call(placing: placed), !call.isEnded else { return }
        switch placed.state {
        case .calling:
            break
        case .early(let code):
            var early = false
            if let response, !response.body.isEmpty { early = applySIPAnswer(call, response.body) }
            signal(call.session, .progress(call: call.id, code: code, reason: response?.reason ?? "", earlyMedia: early))
        case .confirmed:
            if let hold = call.hold {
                if let pending = hold.pending, !placed.hasPendingReinvite, placed.retryAt == nil {
                    holdAnswered(call, hold: pending, code: placed.lastReinviteResult ?? 0, body: placed.answerBody)
                }
            } else {
                guard applySIPAnswer(call, placed.answerBody) else {
                    log(call, "call \(call.id): the SIP answer is not usable, hanging up", .warning)
                    return hangUp(call, cause: .notAcceptable, reason: "the SIP peer's answer is not usable", now: now)
                }
                ringDeadlines.set(call.id, at: nil)
                if let id = placed.dialog?.id { sipCalls.add(call, dialogID: id) }
                markAnswered(call, now: now, "call \(call.id) answered")
            }
        case .ended(let code, let reason):
            finish(call, code: code, reason: reason, cause: EndCause(sipStatus: code), now: now)
        }
    }

    /// Applies the SIP peer's SDP answer to the bridge; false when unusable.
    @discardableResult
    func applySIPAnswer(_ call: Call, _ body: [UInt8], local: MediaDirection = .sendrecv) -> Bool {
        guard let (_, agreed) = SIPLegMedia.negotiate(body, isAnswer: true) else { return false }
        return apply(agreed, to: call, local: local)
    }

    /// Points leg B of the bridge (codec, direction, SDES keys) and the SIP
    /// media socket at what the SIP peer agreed; false when its security is unusable.
    @discardableResult
    func apply(_ agreed: NegotiatedAudio, to call: Call, local: MediaDirection) -> Bool {
        guard call.sipMedia.adopt(agreed) else { return false }
        call.dtmfByInfo = agreed.dtmfPayloadType == nil
        let side = SIPSideConfiguration(
            remoteHost: agreed.remoteAddress ?? "", remotePort: agreed.remotePort, rtcpMux: agreed.rtcpMux,
            leg: call.sipMedia.legSettings(agreed),
            direction: SIPLegMedia.bridgeDirection(local: local, remote: agreed.remoteDirection), sdes: call.sipMedia.sdes)
        call.sipSide = side
        outputs.append(.configureSIPSide(call: call.id, side))
        return true
    }
}
