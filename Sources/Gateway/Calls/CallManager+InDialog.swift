import Foundation
import NIOCore
import SDP
import ShellSupport
import SignalingProtocol
import SIP
import SIPEndpoint

/// Requests inside a bridged call's dialog, both ways: BYE, hold and resume
/// by re-INVITE, DTMF and application content by INFO.
extension CallManager {
    func inDialog(_ r: SIPRequest, key: TransactionKey) -> Bool {
        guard let call = sipCalls.call(for: r) else { return false }
        let now = SIPService.now()
        let ok = TransactionLayer.response(to: r, .ok)
        if r.method == .invite || r.method == .update { call.placed?.peerRefreshed(now: now) }   // RFC 4028 refresh
        switch r.method {
        case .bye:
            sip.respond(key, ok, now: now)
            if let placed = call.placed { ua.placedCallHungUp(placed) }
            finish(call, code: 200, reason: "the far end hung up", cause: .hangup)
        case .invite:
            remoteReinvite(call, r, key: key)
        case .info:
            sip.respond(key, ok, now: now)
            if let digit = Self.dtmfDigit(r) {
                call.session.send(.dtmf(call: call.id, digit: digit))
            } else if let (content, map) = Self.infoContent(r) {
                call.session.send(.info(call: call.id, content: content, map: map))
            }
        default:   // UPDATE: a session refresh without SDP is all we take
            if r.body.isEmpty {
                sip.respond(key, ok, now: now)
            } else {
                sip.respond(key, TransactionLayer.response(to: r, .notAcceptableHere), now: now)
            }
        }
        sip.afterWork()
        return true
    }

    /// The digit of an INFO with application/dtmf-relay (`Signal=5`) or application/dtmf (`5`).
    static func dtmfDigit(_ r: SIPRequest) -> String? {
        let text = String(decoding: r.body.prefix(256), as: UTF8.self)
        var value: Substring?
        switch mediaType(r) {
        case "application/dtmf-relay":
            value = text.split(whereSeparator: \.isNewline).first { $0.lowercased().hasPrefix("signal") }?
                .split(separator: "=", maxSplits: 1).last
        case "application/dtmf":
            value = Substring(text)
        default:
            return nil
        }
        guard let digit = value.map({ $0.trimmingCharacters() }), digit.count == 1,
              SignalingToken.isDTMF(digit) else { return nil }
        return digit
    }

    /// The media type of a request's body, without parameters, in lower case.
    static func mediaType(_ r: SIPRequest) -> String {
        r.headers["Content-Type"]?.split(separator: ";").first.map { $0.trimmingCharacters().lowercased() } ?? ""
    }

    /// The content of an INFO as `sendInfo` makes it: a JSON object, or pairs
    /// form-encoded (`map`); nil for other bodies.
    static func infoContent(_ r: SIPRequest) -> ([String: JSONValue], map: Bool)? {
        switch mediaType(r) {
        case "application/json":
            guard let object = JSONValue.object(parsing: r.body) else { return nil }
            return (object, false)
        case "application/x-www-form-urlencoded":
            return (RequestTarget.formFields(String(decoding: r.body, as: UTF8.self)).mapValues(JSONValue.string), true)
        default:
            return nil
        }
    }

    /// A re-INVITE from the SIP peer: hold, resume, or new media details.
    private func remoteReinvite(_ call: BrowserCall, _ r: SIPRequest, key: TransactionKey) {
        let now = SIPService.now()
        if call.hold?.pending != nil || call.placed?.hasPendingReinvite == true {
            return sip.respond(key, TransactionLayer.response(to: r, .requestPending), now: now)
        }
        let local: MediaDirection = call.hold?.byBrowser == true ? .sendonly : .sendrecv
        guard let (offer, agreed) = SIPLegMedia.negotiate(r.body, isAnswer: false), apply(agreed, to: call, local: local) else {
            return sip.respond(key, TransactionLayer.response(to: r, .notAcceptableHere), now: now)
        }
        let response = SIPService.sdpAnswer(to: r, contact: contact(for: call),
                                            sdp: call.sipMedia.answer(offer, agreed: agreed, direction: local))
        sip.respond(key, response, now: now)
        if let id = call.dialog?.id {
            ua.sent2xx(response, dialogID: id)
        } else if let placed = call.placed {
            ua.sent2xx(response, placed: placed)
        }
        let held = agreed.remoteDirection == .sendonly || agreed.remoteDirection == .inactive
        if let hold = call.hold, held != hold.byPeer {
            call.updateHold { $0.byPeer = held }
            call.session.send(held ? .held(call: call.id, by: .remote) : .resumed(call: call.id, by: .remote))
            logger.info("call \(call.id): \(held ? "held" : "resumed") by the SIP side")
        }
    }

    /// A request of ours in the dialog of an incoming call (placed calls use
    /// their OutgoingCall). It goes by the route set, else to the remote target (§12.2.1.1).
    func sendInDialog(_ call: BrowserCall, _ method: SIPMethod, body: [UInt8] = [], contentType: String? = nil,
                      onFinal: @escaping (SIPResponse?, UInt32) -> Void) {
        guard var dialog = call.dialog, let peer = call.sipPeer else { return }
        var request = dialog.request(method, contact: contact(for: call), body: body, contentType: contentType)
        let cseq = dialog.localSeq
        call.dialog = dialog
        let next: SIPPeer
        if let route = dialog.routeSet.first.flatMap({ try? NameAddress(parsing: $0) })?.uri {
            next = SIPPeer(peer.transport, host: route.host, port: route.port ?? 5060)
        } else {
            next = SIPPeer(peer.transport, host: dialog.remoteTarget.host, port: dialog.remoteTarget.port ?? 5060)
        }
        let port = UInt16(sip.boundPort ?? sip.settings.listenPort)
        request.headers.prepend("Via", Via.local(transport: peer.transport.rawValue, host: sip.settings.listenHost,
                                                 port: port, branchToken: Random.token(12)).description)
        ua.send(request, to: peer.isReliable ? peer : next) { response in
            if method == .invite, let response, (200..<300).contains(response.statusCode), var d = call.dialog {
                var ack = d.request(.ack, contact: self.contact(for: call))
                ack.headers.set("CSeq", "\(cseq) ACK")
                ack.headers.prepend("Via", Via.local(transport: peer.transport.rawValue, host: self.sip.settings.listenHost,
                                                     port: port, branchToken: Random.token(12)).description)
                self.sip.write(.request(ack), to: peer.isReliable ? peer : next)
            }
            onFinal(response, cseq)
        }
    }

    /// Hold (our side sendonly) or resume (sendrecv) by re-INVITE to the SIP side.
    func changeHold(_ call: BrowserCall, hold: Bool) {
        let request = hold ? "hold" : "resume"
        guard let current = call.hold, current.pending == nil else {
            return call.session.error(.badState, "call \(call.id) is not answered, or a hold/resume is pending",
                                      call: call.id, request: request)
        }
        guard hold != current.byBrowser else {
            return call.session.send(hold ? .held(call: call.id, by: .local) : .resumed(call: call.id, by: .local))
        }
        let offer = call.sipMedia.offer(hold ? .sendonly : .sendrecv)
        call.updateHold { $0.pending = hold }
        if let placed = call.placed {
            guard let reinvite = placed.reinvite(offer: offer) else {
                call.updateHold { $0.pending = nil }
                return call.session.error(.badState, "a re-INVITE is pending", call: call.id, request: request)
            }
            ua.sendOutgoing(reinvite, for: placed)
        } else {
            sendInDialog(call, .invite, body: offer, contentType: "application/sdp") { response, _ in
                self.holdAnswered(call, hold: hold, code: response?.statusCode ?? 408, body: response?.body ?? [])
            }
        }
        sip.afterWork()
    }

    func holdAnswered(_ call: BrowserCall, hold: Bool, code: Int, body: [UInt8]) {
        call.updateHold { $0.pending = nil }
        guard call.hold != nil else { return }
        let request = hold ? "hold" : "resume"
        guard (200..<300).contains(code), applySIPAnswer(call, body, local: hold ? .sendonly : .sendrecv) else {
            return call.session.error(hold ? .holdFailed : .resumeFailed, "the SIP side answered the re-INVITE with \(code)",
                                      call: call.id, request: request)
        }
        call.updateHold { $0.byBrowser = hold }
        call.session.send(hold ? .held(call: call.id, by: .local) : .resumed(call: call.id, by: .local))
        logger.info("call \(call.id): \(hold ? "held" : "resumed") by the browser")
    }

    /// Application data from the browser as SIP INFO: an INFO-MAP's key/value
    /// pairs form-encoded, anything else as JSON (at most 4 KiB).
    func sendInfo(_ call: BrowserCall, map: Bool, content: [String: JSONValue]) {
        guard call.isUp else {
            return call.session.error(.badState, "call \(call.id) is not answered", call: call.id, request: "info")
        }
        let body: [UInt8], type: String
        if map {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            body = Array(content.sorted { $0.key < $1.key }.map { key, value in
                let k = key.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
                let v = value.formText.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
                return "\(k)=\(v)"
            }.joined(separator: "&").utf8)
            type = "application/x-www-form-urlencoded"
        } else {
            body = Array(JSONValue.object(content).jsonText.utf8)
            type = "application/json"
        }
        guard body.count <= 4096 else {
            return call.session.error(.tooLarge, "INFO content over 4 KiB", call: call.id, request: "info")
        }
        sendInfo(call, body: body, contentType: type)
    }

    private func sendInfo(_ call: BrowserCall, body: [UInt8], contentType: String) {
        if let placed = call.placed {
            guard let info = placed.request(.info, body: body, contentType: contentType) else { return }
            ua.send(info, to: ua.nextHop(for: placed)) { _ in }
        } else {
            sendInDialog(call, .info, body: body, contentType: contentType) { _, _ in }
        }
    }

    /// DTMF the browser sent: it travels as RFC 4733 in the media already; as
    /// SIP INFO (application/dtmf-relay) too when configured, or when the SIP
    /// peer did not agree to telephone-event.
    func sendDTMF(_ call: BrowserCall, digits: String) {
        guard SignalingToken.isDTMF(digits) else {
            return call.session.error(.badDTMF, "DTMF digits are 0-9, *, #, A-D", call: call.id, request: "dtmf")
        }
        guard call.isUp, settings.dtmfInfo || call.dtmfByInfo else { return }
        for digit in digits where digit != "," {
            sendInfo(call, body: Array("Signal=\(digit)\r\nDuration=160\r\n".utf8), contentType: "application/dtmf-relay")
        }
        logger.info("call \(call.id): DTMF \(digits) sent as SIP INFO")
    }
}
