import Identifiers
import MediaTypes
import SDP
import SignalingProtocol
import SIP

/// Requests inside a bridged call's dialog from the SIP side: BYE, hold and
/// resume by re-INVITE, DTMF and application content by INFO, session refreshes.
extension CallModel {
    /// A request (re-INVITE, BYE, INFO, UPDATE); true when it belongs to a dialog of the call model.
    public func inDialog(_ r: SIPRequest, key: TransactionKey, now: UInt64) -> Bool {
        guard let call = sipCalls.call(for: r) else { return false }
        if r.method == .invite || r.method == .update, let tooBrief = Self.sessionIntervalTooBrief(r) {
            outputs.append(.respond(key, tooBrief))
            return true
        }
        var ok = TransactionLayer.response(to: r, .ok)
        switch r.method {
        case .bye:
            outputs.append(.respond(key, ok))
            if let placed = call.placed { outputs.append(.placedCallHungUp(placed)) }
            finish(call, code: 200, reason: "the far end hung up", cause: .hangup, now: now)
        case .invite:
            remoteReinvite(call, r, key: key, now: now)
        case .info:
            outputs.append(.respond(key, ok))
            if let digit = SIPInfoBody.dtmfDigit(r) {
                signal(call.session, .dtmf(call: call.id, digit: digit))
            } else if let (content, map) = SIPInfoBody.content(r) {
                signal(call.session, .info(call: call.id, content: content, map: map))
            }
        default:   // UPDATE: a session refresh without SDP is all we take
            if r.body.isEmpty {
                refreshSession(call, r, response: &ok, now: now)
                outputs.append(.respond(key, ok))
            } else {
                outputs.append(.respond(key, TransactionLayer.response(to: r, .notAcceptableHere)))
            }
        }
        return true
    }

    /// A re-INVITE from the SIP peer: hold, resume, or new media details.
    private func remoteReinvite(_ call: Call, _ r: SIPRequest, key: TransactionKey, now: UInt64) {
        if call.hold?.pending != nil || call.placed?.hasPendingReinvite == true {
            return outputs.append(.respond(key, TransactionLayer.response(to: r, .requestPending)))   // glare (§14.2)
        }
        let local: MediaDirection = call.hold?.byBrowser == true ? .sendonly : .sendrecv
        guard let (offer, agreed) = SIPLegMedia.negotiate(r.body, isAnswer: false), apply(agreed, to: call, local: local) else {
            return outputs.append(.respond(key, TransactionLayer.response(to: r, .notAcceptableHere)))
        }
        var response = TransactionLayer.sdpAnswer(to: r, contact: contact(for: call),
                                                  sdp: call.sipMedia.answer(offer, agreed: agreed, direction: local))
        refreshSession(call, r, response: &response, now: now)
        outputs.append(.respond(key, response))
        // Our 2xx is sent again until its ACK (§13.3.1.4), in an answered dialog or one we placed.
        if let id = call.dialog?.id {
            dialogs.sent2xx(response, dialogID: id, now: now)
        } else if let dialog = call.placed?.dialog {
            dialogs.sent2xx(response, in: dialog, peer: settings.server, now: now)
        }
        let held = agreed.remoteDirection == .sendonly || agreed.remoteDirection == .inactive
        if let hold = call.hold, held != hold.byPeer {
            call.updateHold { $0.byPeer = held }
            signal(call.session, held ? .held(call: call.id, by: .remote) : .resumed(call: call.id, by: .remote))
            log(call, "call \(call.id): \(held ? "held" : "resumed") by the SIP side")
        }
    }

    /// A request of ours in the dialog of an incoming call (placed calls use
    /// their OutgoingCall). It goes by the route set, else to the remote target (§12.2.1.1).
    func sendInDialog(_ call: Call, _ method: SIPMethod, body: [UInt8] = [], contentType: String? = nil, pending: PendingRequest) {
        guard var dialog = call.dialog, let peer = call.sipPeer else { return }
        var request = dialog.request(method, contact: contact(for: call), body: body, contentType: contentType)
        call.dialog = dialog
        request.headers.prepend("Via", Via.local(transport: peer.transport.rawValue, host: settings.contactHost,
                                                 port: settings.contactPort, branchToken: Random.token(12)).description)
        nextRequestID &+= 1
        pendingRequests[nextRequestID] = pending
        outputs.append(.sendInDialog(request, to: nextHop(peer, dialog), id: nextRequestID))
    }

    /// Where a request in `dialog` goes: the connection it came on, else its first route or its remote target.
    private func nextHop(_ peer: SIPPeer, _ dialog: Dialog) -> SIPPeer {
        if peer.isReliable { return peer }
        if let route = dialog.routeSet.first.flatMap({ try? NameAddress(parsing: $0) })?.uri {
            return SIPPeer(peer.transport, host: route.host, port: route.port ?? 5060)
        }
        return SIPPeer(peer.transport, host: dialog.remoteTarget.host, port: dialog.remoteTarget.port ?? 5060)
    }

    /// The final response to a request `sendInDialog` sent (nil: it timed out).
    public func requestAnswered(_ id: UInt64, response: SIPResponse?, now: UInt64) {
        guard let pending = pendingRequests.removeValue(forKey: id) else { return }
        guard case .hold(let hold, let callID) = pending, let call = calls[callID] else { return }
        if let response, (200..<300).contains(response.statusCode), var dialog = call.dialog, let peer = call.sipPeer,
           let cseq = response.headers.cseq {
            var ack = dialog.request(.ack, contact: contact(for: call))
            ack.headers.set("CSeq", "\(cseq.number) ACK")
            ack.headers.prepend("Via", Via.local(transport: peer.transport.rawValue, host: settings.contactHost,
                                                 port: settings.contactPort, branchToken: Random.token(12)).description)
            outputs.append(.write(ack, to: nextHop(peer, dialog)))
        }
        holdAnswered(call, hold: hold, code: response?.statusCode ?? 408, body: response?.body ?? [])
    }
}
