import MediaCore
import MediaTypes
import NIOCore
import SDP
import ShellSupport
import SignalingProtocol
import SIP

/// Browser -> SIP: the browser offers, its leg opens at once (so ICE and
/// DTLS run while the far end rings), and an INVITE goes to the SIP server.
extension CallManager {
    func placeCall(_ s: ClientSession, id: String, to: String?, sdp: String?) {
        guard s.calls[id] == nil, calls[id] == nil else { return s.error(.badMessage, "call id \(id) is in use", call: id) }
        guard s.calls.count < ClientSession.maxCalls else {
            return s.error(.tooManyCalls, "at most \(ClientSession.maxCalls) calls at once", call: id)
        }
        guard let to, SignalingToken.isNumber(to) else {
            return s.error(.badNumber, "dial a number or user name (letters, digits, . _ - + * #)", call: id)
        }
        guard let account = table[s.id], let user = account.user else { return }
        guard !account.anonymous || settings.sessions.anonymousDestinations.contains(to) else {
            refusals.count("anonymous-destination")
            return s.error(.forbidden, "anonymous users may call only the configured numbers", call: id)
        }
        guard let offer = Self.browserOffer(sdp) else { return s.error(.badSDP, "call needs the browser's SDP offer", call: id) }
        guard let port = ports.acquirePair() else {
            return s.error(.noMediaPort, "the gateway has no free media ports", call: id)
        }
        let call = BrowserCall(id: id, session: s, user: user, direction: .outgoing, peer: to,
                               sipMedia: SIPLegMedia(address: settings.mediaIP, port: port, offersSRTP: settings.offerSRTP))
        call.media = SIPMediaLeg(loop: group.next(), host: settings.mediaIP, port: port, ports: ports, logger: logger)
        s.calls[id] = call
        calls[id] = call
        openBrowserLeg(call, offer: offer, other: call.sipMedia.legSettings(nil), direction: .sendrecv) {
            self.startSIPCall(call)
        }
        // A far end that rings forever (or never answers at all) does not hold the call and its ports.
        loop.scheduleTask(in: settings.ringTimeout) { [weak self] in
            guard let self, call.phase == .offering || call.phase == .calling else { return }
            self.hangUp(call, cause: .timeout, reason: "no answer within the ring timeout")
        }
    }

    static func browserOffer(_ sdp: String?) -> SessionDescription? {
        guard let sdp, sdp.utf8.count <= 32 * 1024 else { return nil }
        return try? SDPParser.parse(sdp)
    }

    /// Opens the browser leg of `call` from the browser's offer; sends the
    /// answer to the client, then runs `then` (on the loop).
    func openBrowserLeg(_ call: BrowserCall, offer: SessionDescription, other: MediaBridge.LegSettings, direction: MediaDirection,
                        then: @escaping @Sendable () -> Void) {
        guard let media = call.media else { return }
        var legSettings = BrowserLegFactory.Settings(mediaIP: settings.mediaIP)
        legSettings.codecs = settings.browserCodecs
        let loop = self.loop
        let owner = NIOLoopBound((manager: self, call: call), eventLoop: loop)
        factory.open(offer: offer, settings: legSettings, other: other, on: media.loop, otherLeg: { _ in media },
                     onEnd: { reason in loop.execute { owner.value.manager.browserLegEnded(owner.value.call, reason: reason) } })
            .hop(to: loop)
            .whenComplete { result in
                switch result {
                case .success(let leg):
                    guard !call.isEnded else { return leg.close() }
                    call.leg = leg
                    if direction != .sendrecv { leg.configureOtherLeg(nil, direction: direction) }
                    self.logger.info("call \(call.id): browser leg \(leg.id) \(leg.agreed.codec.encodingName)")
                    call.session.send(.sdp(call: call.id, sdp: leg.answer.text))
                    then()
                case .failure(let error):
                    if call.direction == .incoming { self.respondToInvite(call, 488, "Not Acceptable Here") }
                    self.finish(call, code: 488, reason: "\(error)", cause: .notAcceptable)
                }
            }
    }

    private func startSIPCall(_ call: BrowserCall) {
        let user = call.user
        let port = UInt16(sip.boundPort ?? sip.settings.listenPort)
        let host = sip.settings.listenHost
        let placed = OutgoingCall(
            settings: .init(from: SIPURI(user: user, host: sip.settings.domain), to: SIPURI(user: call.peer, host: sip.settings.domain),
                            contact: SIPURI(user: user, host: host, port: port),
                            credentials: table[call.session.id]?.password.map { DigestCredentials(username: user, password: $0) },
                            via: (ua.serverPeer.transport.rawValue, host, port)),
            offer: call.sipMedia.offer(), token: { Random.token(12) })
        call.placed = placed
        call.phase = .calling
        sipCalls.add(call, sipCallID: placed.callID)
        logger.info("call \(call.id): \(user) calls \(call.peer), SIP call \(placed.callID)")
        ua.place(placed)
    }

    func placedCallChanged(_ placed: OutgoingCall, response: SIPResponse?) {
        // A call hung up while its INVITE was out is no longer here (a 2xx crossing
        // the CANCEL is ended by the user agent).
        guard let call = sipCalls.call(placing: placed), !call.isEnded else { return }
        switch placed.state {
        case .calling:
            break
        case .early(let code):
            var early = false
            if let response, !response.body.isEmpty { early = applySIPAnswer(call, response.body) }
            call.session.send(.progress(call: call.id, code: code, reason: response?.reason ?? "", earlyMedia: early))
        case .confirmed:
            if let hold = call.hold {
                if let pending = hold.pending, !placed.hasPendingReinvite, placed.retryAt == nil {
                    holdAnswered(call, hold: pending, code: placed.lastReinviteResult ?? 0, body: placed.answerBody)
                }
            } else {
                guard applySIPAnswer(call, placed.answerBody) else {
                    logger.warning("call \(call.id): the SIP answer is not usable, hanging up")
                    return hangUp(call, cause: .notAcceptable, reason: "the SIP peer's answer is not usable")
                }
                call.phase = .answered(BrowserCall.Hold())
                if let id = placed.dialog?.id { sipCalls.add(call, dialogID: id) }
                call.session.send(.answered(call: call.id))
                logger.info("call \(call.id) answered")
                logMedia(call)
            }
        case .ended(let code, let reason):
            finish(call, code: code, reason: reason, cause: EndCause(sipStatus: code))
        }
    }

    /// Says in the log whether the bridge relays or transcodes the call (once the legs are set).
    func logMedia(_ call: BrowserCall) {
        guard let leg = call.leg else { return }
        let logger = self.logger, id = call.id, codec = leg.agreed.codec.encodingName
        leg.mediaSummary().whenSuccess { media in
            logger.info("call \(id) media: \(media.relaying ? "relay" : "transcode"), browser leg \(codec)")
        }
    }

    /// Applies the SIP peer's SDP answer to the bridge; false when unusable.
    @discardableResult
    func applySIPAnswer(_ call: BrowserCall, _ body: [UInt8], local: MediaDirection = .sendrecv) -> Bool {
        guard let (_, agreed) = SIPLegMedia.negotiate(body, isAnswer: true) else { return false }
        return apply(agreed, to: call, local: local)
    }

    /// Points leg B of the bridge (codec, direction, SDES keys) and the SIP
    /// media socket at what the SIP peer agreed; false when its security is unusable.
    @discardableResult
    func apply(_ agreed: NegotiatedAudio, to call: BrowserCall, local: MediaDirection) -> Bool {
        guard call.sipMedia.adopt(agreed) else { return false }
        call.media?.setRemote(host: agreed.remoteAddress ?? "", port: agreed.remotePort, rtcpMux: agreed.rtcpMux)
        call.dtmfByInfo = agreed.dtmfPayloadType == nil
        call.leg?.configureOtherLeg(call.sipMedia.legSettings(agreed),
                                    direction: SIPLegMedia.bridgeDirection(local: local, remote: agreed.remoteDirection))
        if let keys = call.sipMedia.sdes { call.leg?.setOtherLegSRTP(keys) }
        return true
    }
}
