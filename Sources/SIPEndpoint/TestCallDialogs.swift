import NIOCore
import SDP
import SIP

/// The test calls a SIP service answers or places itself (the embedded
/// server's numbers, the calls the test routes place): their dialogs (our 2xx
/// sent again until its ACK, their session timers), their RTP sockets, and
/// the requests inside them (re-INVITE, BYE, INFO, UPDATE, OPTIONS).
/// Confined to the service's event loop.
public final class TestCallDialogs {
    public unowned let service: SIPService
    public let dialogs = InviteServerCore()
    /// Each call's media socket and port, by dialog id (or Call-ID for a placed call).
    private var media: [String: (channel: Channel, port: UInt16)] = [:]

    public init(service: SIPService) { self.service = service }

    public func port(of id: String) -> UInt16? { media[id]?.port }

    /// An ACK outside any transaction: true when it was of a 2xx of ours.
    public func acknowledged(_ ack: SIPRequest) -> Bool { dialogs.ack(ack) }

    public var nextTimeout: UInt64? { dialogs.nextTimeout }

    /// Our 2xx sent again; a dialog whose ACK never came or whose session expired goes to `failed`.
    public func poll(now: UInt64, failed: (String, DialogFailure) -> Void) {
        for output in dialogs.poll(now: now) {
            switch output {
            case .send(let response, let peer): service.write(.response(response), to: peer)
            case .ackTimeout(let id):
                service.logger.warning("no ACK for our 2xx: ending the call")
                failed(id, .noACK)
            case .sessionExpired(let id): failed(id, .sessionExpired)
            }
        }
    }

    public func adopt(_ channel: Channel, port: UInt16, for id: String) { media[id] = (channel, port) }

    /// Closes a call's media and gives its port back.
    public func closeMedia(_ id: String) {
        guard let (channel, port) = media.removeValue(forKey: id) else { return }
        let ports = service.settings.mediaPorts
        channel.close(promise: nil)
        channel.closeFuture.whenComplete { _ in ports.release(port) }
    }

    /// A request in a dialog the service answered; true when it was one.
    /// `ended` is told of a dialog a BYE ended.
    public func inDialog(_ r: SIPRequest, key: TransactionKey, from peer: SIPPeer, now: UInt64, ended: (String) -> Void) -> Bool {
        switch r.method {
        case .invite:
            guard let dialog = dialogs.dialog(for: r) else { return false }
            answerReInvite(r, key: key, dialog: dialog, now: now)   // hold, resume: same answer, new direction
            return true
        case .bye:
            guard let dialog = dialogs.dialog(for: r) else { return false }
            service.respond(key, TransactionLayer.response(to: r, .ok), now: now)
            service.logger.info("call \(dialog.callID) ended by BYE from \(peer)")
            ended(dialog.id)
            return true
        case .info, .update, .options:
            guard let dialog = dialogs.dialog(for: r) else { return false }
            var ok = TransactionLayer.response(to: r, .ok)
            if r.method == .update { refreshSession(r, dialog: dialog, response: &ok, now: now) }
            service.respond(key, ok, now: now)
            return true
        default:
            return false
        }
    }

    private func answerReInvite(_ r: SIPRequest, key: TransactionKey, dialog: Dialog, now: UInt64) {
        guard let port = port(of: dialog.id), let (answer, agreed) = reinviteAnswer(r, port: port) else {
            service.respond(key, TransactionLayer.response(to: r, .notAcceptableHere), now: now)
            return
        }
        var ok = answer
        refreshSession(r, dialog: dialog, response: &ok, now: now)
        service.respond(key, ok, now: now)
        dialogs.sent2xx(ok, dialogID: dialog.id, now: now)
        service.logger.info("call \(dialog.callID) re-INVITE: the caller is \(agreed.remoteDirection.rawValue)")
    }

    /// The 200 to a re-INVITE on a test call: the same media port, the
    /// offer's new direction; nil when the offer is not acceptable.
    public func reinviteAnswer(_ r: SIPRequest, port: UInt16) -> (SIPResponse, NegotiatedAudio)? {
        guard let offer = try? SDPParser.parse(String(decoding: r.body, as: UTF8.self)),
              let agreed = try? AudioNegotiation.negotiate(offer, codecs: [.pcmu, .pcma]) else { return nil }
        var local = LocalAudioParameters(address: service.settings.mediaIP, port: port, codecs: [.pcmu, .pcma], ssrc: 1,
                                         cname: "gw", sessionID: "1")
        local.sessionVersion = UInt64(r.headers.cseq?.number ?? 2)
        let sdp = Array(AudioNegotiation.answer(offer, agreed: agreed, local: local).text.utf8)
        return (TransactionLayer.sdpAnswer(to: r, contact: service.contactURI, sdp: sdp), agreed)
    }

    /// A re-INVITE or UPDATE with Session-Expires refreshes the session (RFC 4028 §9).
    private func refreshSession(_ r: SIPRequest, dialog: Dialog, response: inout SIPResponse, now: UInt64) {
        let timer = InviteServerCore.sessionTimer(for: r)
        guard let seconds = timer.interval else { return }
        for (name, value) in timer.headers { response.headers.add(name, value) }
        dialogs.runSessionTimer(dialog.id, seconds: seconds, now: now)
    }
}

/// Why a dialog of ours failed.
public enum DialogFailure: Sendable { case noACK, sessionExpired }
