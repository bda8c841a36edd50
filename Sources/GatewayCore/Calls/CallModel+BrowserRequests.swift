import MediaTypes
import SDP
import SignalingProtocol
import SIP

/// What the browser asks of an answered call toward the SIP side: hold and
/// resume by re-INVITE (asked for, or offered on its peer connection),
/// application content and DTMF by INFO.
extension CallModel {
    /// A new offer from the browser in an answered call: answered at once from
    /// our answer; a change of hold goes to the SIP side unless it mirrors the
    /// SIP side's own hold (the Genesys client re-offers when told EVENT-HOLD).
    func reoffer(_ call: Call, sdp: String?) {
        guard let hold = call.hold else {
            return error(call.session, .badState, "call \(call.id) is not answered", call: call.id, request: "offer")
        }
        guard let offer = Self.browserOffer(sdp), let first = call.browserOffer else {
            return error(call.session, .badSDP, "the offer is not a usable SDP", call: call.id, request: "offer")
        }
        if BrowserReoffer.isNewConnection(offer, first: first) { return replaceBrowserLeg(call, offer: offer) }
        guard let ours = call.browserAnswer, let (holding, answer) = BrowserReoffer.answer(offer, first: first, ours: ours) else {
            return error(call.session, .badSDP, "the offer has no audio to answer", call: call.id, request: "offer")
        }
        call.browserAnswer = answer
        signal(call.session, .sdp(call: call.id, sdp: answer.text))
        follow(call, browserHolding: holding, hold: hold)
    }

    /// A hold or resume the browser's offer asks for goes to the SIP side, unless
    /// it mirrors the SIP side's own hold or one is in flight.
    private func follow(_ call: Call, browserHolding holding: Bool, hold: Call.Hold) {
        guard holding != hold.byBrowser, !(holding && hold.byPeer), hold.pending == nil else { return }
        changeHold(call, hold: holding)
    }

    /// An offer on a new peer connection (new ICE credentials or DTLS
    /// certificate; the Genesys client on Firefox makes one per offer): a new
    /// browser leg, bridged to the same SIP side, replaces the old one. The old
    /// connection's close is not a hang-up.
    private func replaceBrowserLeg(_ call: Call, offer: SessionDescription) {
        guard let side = call.sipSide else {
            return error(call.session, .badState, "call \(call.id) has no SIP media yet", call: call.id, request: "offer")
        }
        closingDeadlines.set(call.id, at: nil)
        log(call, "call \(call.id): the browser offers on a new peer connection; a new browser leg replaces the old")
        openBrowserLeg(call, .offer(offer), sipSide: side.leg, direction: side.direction)
    }

    /// The new browser leg of an answered call is open (its answer has gone to
    /// the browser): leg B set as before, and the hold its offer asks for followed.
    func browserLegReplaced(_ call: Call) {
        closingDeadlines.set(call.id, at: nil)
        guard let hold = call.hold, let side = call.sipSide else { return }
        outputs.append(.configureSIPSide(call: call.id, side))
        let direction = call.browserOffer?.media.first { $0.kind == "audio" }?.direction ?? .sendrecv
        follow(call, browserHolding: direction == .sendonly || direction == .inactive, hold: hold)
    }

    /// Hold (our side sendonly) or resume (sendrecv) by re-INVITE to the SIP side.
    func changeHold(_ call: Call, hold: Bool) {
        let request = hold ? "hold" : "resume"
        guard let current = call.hold, current.pending == nil else {
            return error(call.session, .badState, "call \(call.id) is not answered, or a hold/resume is pending",
                         call: call.id, request: request)
        }
        guard hold != current.byBrowser else {
            return signal(call.session, hold ? .held(call: call.id, by: .local) : .resumed(call: call.id, by: .local))
        }
        let offer = call.sipMedia.offer(hold ? .sendonly : .sendrecv)
        call.updateHold { $0.pending = hold }
        if let placed = call.placed {
            guard let reinvite = placed.reinvite(offer: offer) else {
                call.updateHold { $0.pending = nil }
                return error(call.session, .badState, "a re-INVITE is pending", call: call.id, request: request)
            }
            outputs.append(.sendPlaced(reinvite, placed))
        } else {
            sendInDialog(call, .invite, body: offer, contentType: "application/sdp", pending: .hold(hold, call: call.id))
        }
    }

    func holdAnswered(_ call: Call, hold: Bool, code: Int, body: [UInt8]) {
        call.updateHold { $0.pending = nil }
        guard call.hold != nil else { return }
        let request = hold ? "hold" : "resume"
        guard (200..<300).contains(code), applySIPAnswer(call, body, local: hold ? .sendonly : .sendrecv) else {
            return error(call.session, hold ? .holdFailed : .resumeFailed, "the SIP side answered the re-INVITE with \(code)",
                         call: call.id, request: request)
        }
        call.updateHold { $0.byBrowser = hold }
        signal(call.session, hold ? .held(call: call.id, by: .local) : .resumed(call: call.id, by: .local))
        log(call, "call \(call.id): \(hold ? "held" : "resumed") by the browser")
    }

    /// Application data from the browser as SIP INFO (at most 4 KiB).
    func sendInfo(_ call: Call, map: Bool, content: [String: JSONValue]) {
        guard call.isUp else {
            return error(call.session, .badState, "call \(call.id) is not answered", call: call.id, request: "info")
        }
        let (body, type) = SIPInfoBody.body(for: content, map: map)
        guard body.count <= 4096 else {
            return error(call.session, .tooLarge, "INFO content over 4 KiB", call: call.id, request: "info")
        }
        sendInfo(call, body: body, contentType: type)
    }

    private func sendInfo(_ call: Call, body: [UInt8], contentType: String) {
        if let placed = call.placed {
            guard let info = placed.request(.info, body: body, contentType: contentType) else { return }
            outputs.append(.sendPlaced(info, placed))
        } else {
            sendInDialog(call, .info, body: body, contentType: contentType, pending: .info)
        }
    }

    /// DTMF the browser sent: it travels as RFC 4733 in the media already; as
    /// SIP INFO (application/dtmf-relay) too when configured, or when the SIP
    /// peer did not agree to telephone-event.
    func sendDTMF(_ call: Call, digits: String) {
        guard SignalingToken.isDTMF(digits) else {
            return error(call.session, .badDTMF, "DTMF digits are 0-9, *, #, A-D", call: call.id, request: "dtmf")
        }
        guard call.isUp, settings.dtmfInfo || call.dtmfByInfo else { return }
        for digit in digits where digit != "," {
            sendInfo(call, body: SIPInfoBody.dtmfRelay(digit), contentType: "application/dtmf-relay")
        }
        log(call, "call \(call.id): DTMF \(digits) sent as SIP INFO")
    }
}
