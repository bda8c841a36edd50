import GatewayCore
import Logging
import NIOCore
import SDP
import ShellSupport
import SignalingProtocol
import SIP
import SIPEndpoint

/// The call model: signed-in browser users as SIP endpoints (one
/// registration each) and their calls, each bridged between a browser leg
/// and a SIP leg. Confined to the SIP service's event loop: the signaling
/// transports hop there, and so do the browser legs' events.
final class CallManager: SIPCallHandler, @unchecked Sendable {
    struct Settings {
        var mediaIP: String
        /// What the browser leg may use, in order of preference: G.711 first,
        /// so that a browser that has it is relayed to the SIP side untouched.
        var browserCodecs: [AudioCodec] = [.pcmu, .pcma, .opus]
        var ringTimeout: TimeAmount = .seconds(120)
        /// Sessions and sign-in: bounds, the gateway's own accounts, anonymous destinations.
        var sessions = SessionTable.Settings()
        /// Offer SDES-SRTP on the SIP leg of the calls browsers place (SDES offers
        /// from SIP peers are always taken).
        var offerSRTP = false
        /// Send DTMF as SIP INFO as well as RFC 4733 (INFO is always used when
        /// the SIP peer has no telephone-event).
        var dtmfInfo = false
    }

    /// The gateway's SIP user agent, and the SIP service under it.
    let ua: UserAgent
    var sip: SIPService { ua.service }
    let factory: BrowserLegFactory
    let ports: MediaPortPool
    let group: EventLoopGroup
    let settings: Settings
    let refusals: Refusals
    let logger: Logger
    var loop: EventLoop { sip.loop }
    /// Who is signed in as whom (the decisions); `clients` are their transports and calls.
    var table: SessionTable
    var clients: [String: ClientSession] = [:]
    var sessionTimer: Scheduled<Void>?
    /// Every live call, by its id.
    var calls: [String: BrowserCall] = [:]
    /// The live calls by their SIP dialog.
    var sipCalls = SIPCallIndex()
    var ringingByInvite: [TransactionKey: BrowserCall] = [:]

    init(ua: UserAgent, factory: BrowserLegFactory, ports: MediaPortPool, group: EventLoopGroup, settings: Settings,
         refusals: Refusals, logger: Logger) {
        self.refusals = refusals
        self.ua = ua
        self.factory = factory
        self.ports = ports
        self.group = group
        self.settings = settings
        self.logger = logger
        table = SessionTable(settings: settings.sessions)
    }

    /// One message from a client.
    func receive(_ m: ClientMessage, from s: ClientSession) {
        guard !s.closed else { return }
        let request: CallRequest, callID: String?
        switch m {
        case .signIn(let user, let password):
            table.signIn(s.id, user: user, password: password, now: SIPService.now())
            return drainSessions()
        case .signOut:
            s.send(.signedOut(reason: "signed out"))
            close(s, reason: "signed out")
            s.transport.close()
            return
        case .ping: return s.send(.pong)
        case .call(let id, let r): (callID, request) = (id, r)
        }
        let type = request.type
        guard table[s.id]?.state == .signedIn else { return s.error(.notSignedIn, "sign in first", request: type) }
        guard let id = callID, SignalingToken.isCallID(id) else {
            return s.error(.badMessage, "\(type) needs a call id (letters, digits, - and _; at most 40)", request: type)
        }
        if case .place(let to, let sdp) = request { return placeCall(s, id: id, to: to, sdp: sdp) }
        guard let call = s.calls[id] else { return s.error(.noSuchCall, "no call \(id)", call: id, request: type) }
        switch request {
        case .place: break
        case .answer(let sdp): answer(call, sdp: sdp)
        case .reject: reject(call)
        case .hangup: hangUp(call, cause: .hangup, reason: "hung up by the browser")
        case .dtmf(let digits): sendDTMF(call, digits: digits)
        case .info(let content, let map): sendInfo(call, map: map, content: content)
        case .hold, .resume: changeHold(call, hold: request == .hold)
        case .candidate: break  // ICE-lite learns the browser's addresses from its checks (RFC 8445 §2.5)
        case .unknown: s.error(.badMessage, "unknown message type \(type)", call: id, request: type)
        }
    }

    /// Where a session's calls stand, for the Genesys words that name them.
    func standing(in s: ClientSession) -> (String) -> GenesysDialect.CallStanding? {
        { id in s.calls[id].map { .init(ringing: $0.phase == .ringing || $0.phase == .calling, incoming: $0.direction == .incoming) } }
    }

    // MARK: ending calls

    /// Ends a call at the gateway and tells the client (the SIP side is dealt with by the caller).
    func finish(_ call: BrowserCall, code: Int, reason: String, cause: EndCause) {
        guard !call.isEnded else { return }
        call.phase = .ended
        if let leg = call.leg { leg.close() } else if let media = call.media { media.loop.execute { media.detach() } }
        call.session.calls[call.id] = nil
        calls[call.id] = nil
        sipCalls.remove(call)
        if let key = call.inviteKey { ringingByInvite[key] = nil }
        if let id = call.dialog?.id { ua.closeDialog(id) }
        let seconds = Double(SIPService.now() - call.startedAt) / 1e6
        logger.info("call \(call.id) of \(call.user) ended: \(code) \(reason) (\(cause.rawValue)), \(String(format: "%.1f", seconds)) s")
        call.session.send(.ended(call: call.id, code: code, reason: reason, cause: cause))
    }

    /// The browser's side ends the call: CANCEL or BYE (outgoing), decline or BYE (incoming).
    func hangUp(_ call: BrowserCall, cause: EndCause, reason: String) {
        guard !call.isEnded else { return }
        if let placed = call.placed {
            if let bye = placed.bye() {
                ua.sendOutgoing(bye, for: placed)     // its answer (or timeout) ends the SIP call
            } else if let cancel = placed.cancel() {
                ua.sendOutgoing(cancel, for: placed)   // its 487 (or a racing 200, then BYE) comes later
            }
        } else if call.direction == .incoming {
            if call.dialog != nil, call.isUp {
                sendInDialog(call, .bye) { _, _ in }
            } else if call.phase == .ringing || call.phase == .answering {
                respondToInvite(call, 480, "Temporarily Unavailable")
            }
        }
        sip.afterWork()
        finish(call, code: 0, reason: reason, cause: cause)
    }

    /// The browser leg ended by itself: ICE consent lost, DTLS closed or failed.
    func browserLegEnded(_ call: BrowserCall, reason: String) {
        guard !call.isEnded else { return }
        logger.warning("call \(call.id): browser media ended (\(reason)), hanging up the SIP side")
        call.leg = nil
        hangUp(call, cause: .mediaLost, reason: reason)
    }
}
