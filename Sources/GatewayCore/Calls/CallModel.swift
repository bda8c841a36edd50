import DequeModule
import Identifiers
import MediaTypes
import SDP
import SignalingProtocol
import SIP

/// The media ports a call's SIP leg takes (RTP and RTCP, an even/odd pair).
public protocol MediaPortAllocator: AnyObject {
    func acquire() -> UInt16?
    func acquirePair() -> UInt16?
    func release(_ port: UInt16)
}

/// The call model (sans-IO): signed-in browser users as SIP endpoints and
/// their calls, each bridged between a browser leg and a SIP leg. Inputs are
/// client messages, SIP events from the user agent, media events and time;
/// outputs are values (`Output`) the shell carries out; one `nextTimeout`.
/// It owns the dialogs of the calls it answers (`InviteServerCore`): their
/// 2xx retransmitted until the ACK, their session timers.
public final class CallModel {
    public struct Settings: Sendable {
        public var mediaIP: String
        /// What the browser leg may use, in order of preference: G.711 first,
        /// so that a browser that has it is relayed to the SIP side untouched.
        public var browserCodecs: [AudioCodec] = [.pcmu, .pcma, .opus]
        /// How long a call may ring (either way) before it is given up, in µs.
        public var ringTimeout: UInt64 = 120_000_000
        /// How long a call whose browser closed its media waits for the browser's hang-up message, in µs.
        public var hangUpGrace: UInt64 = 2_000_000
        /// The Retry-After of the 503 that new INVITEs get while the gateway drains, in seconds.
        public var drainRetryAfterSeconds = 60
        /// Sessions and sign-in: bounds, the gateway's own accounts, anonymous destinations.
        public var sessions = SessionTable.Settings()
        public var maxCallsPerSession = 4
        /// Offer SDES-SRTP on the SIP leg of the calls browsers place (SDES offers
        /// from SIP peers are always taken).
        public var offerSRTP = false
        /// Send DTMF as SIP INFO as well as RFC 4733 (INFO is always used when
        /// the SIP peer has no telephone-event).
        public var dtmfInfo = false
        /// The header name prefix of the data a call carries to its INVITE (Genesys `attacheddata`), and back.
        public var attachedDataPrefix = "X-Genesys-"
        /// What our offers to browsers carry (nil: the gateway never offers to a browser).
        public var browserOffers: BrowserOffer.Settings?
        /// The SIP side: our domain, where we are reached (Contact, Via), and the SIP server.
        public var domain: String
        public var contactHost: String
        public var contactPort: UInt16
        public var server: SIPPeer

        public init(mediaIP: String, domain: String, contactHost: String, contactPort: UInt16, server: SIPPeer) {
            self.mediaIP = mediaIP
            self.domain = domain
            self.contactHost = contactHost
            self.contactPort = contactPort
            self.server = server
        }
    }

    /// A request of ours in a dialog, waiting for its final response.
    enum PendingRequest {
        case bye, info
        case hold(Bool, call: String)
    }

    public var settings: Settings
    /// Who is signed in as whom.
    public internal(set) var sessions: SessionTable
    /// The dialogs of the calls it answered, and of placed calls while our 2xx to a re-INVITE awaits its ACK.
    let dialogs = InviteServerCore()
    let ports: MediaPortAllocator
    /// Every live call, by its id, and by session.
    var calls: [String: Call] = [:]
    var callsOfSession: [String: [String: Call]] = [:]
    /// The sessions whose client answers an incoming call's offer (the Genesys long-poll client).
    var sessionsTakingOffers: Set<String> = []
    /// The live calls by their SIP dialog.
    var sipCalls = SIPCallIndex()
    var ringingByInvite: [TransactionKey: Call] = [:]
    var ringDeadlines = DeadlineQueue<String>()
    /// Calls whose browser closed its media, waiting for its hang-up message.
    var closingDeadlines = DeadlineQueue<String>()
    var pendingRequests: [UInt64: PendingRequest] = [:]
    var nextRequestID: UInt64 = 0
    var outputs = Deque<Output>()

    public init(settings: Settings, ports: MediaPortAllocator) {
        self.settings = settings
        self.ports = ports
        sessions = SessionTable(settings: settings.sessions)
    }

    public func pollOutput() -> Output? { outputs.popFirst() }

    public var nextTimeout: UInt64? {
        [sessions.nextTimeout, ringDeadlines.next(), closingDeadlines.next(), dialogs.nextTimeout].compactMap { $0 }.min()
    }

    public var callCount: Int { calls.count }
    /// Dialogs kept: answered calls', and placed calls' while a 2xx of ours awaits its ACK.
    public var dialogCount: Int { dialogs.calls.count }
    public var allCalls: Dictionary<String, Call>.Values { calls.values }
    public func call(_ id: String) -> Call? { calls[id] }
    public func calls(of session: String) -> [Call] { callsOfSession[session].map { Array($0.values) } ?? [] }

    /// Sign-ins that gave up, calls that rang too long, browsers that closed their media without a word,
    /// our 2xx sent again until its ACK, dialogs that failed.
    public func handleTimeout(now: UInt64) {
        for output in dialogs.poll(now: now) {
            switch output {
            case .send(let response, let peer): outputs.append(.resend(response, to: peer))
            case .ackTimeout(let id): dialogFailed(id, reason: "no ACK for our 2xx", now: now)
            case .sessionExpired(let id): dialogFailed(id, reason: "session expired", now: now)
            }
        }
        for id in closingDeadlines.due(now: now) {
            guard let call = calls[id] else { continue }
            hangUp(call, cause: .hangup, reason: "the browser closed its media", now: now)
        }
        sessions.handleTimeout(now: now)
        drainSessions()
        for id in ringDeadlines.due(now: now) {
            guard let call = calls[id], call.isRinging else { continue }
            if call.direction == .incoming {
                respondToInvite(call, 480, "No Answer")
                finish(call, code: 480, reason: "no answer", cause: .timeout, now: now)
            } else {
                hangUp(call, cause: .timeout, reason: "no answer within the ring timeout", now: now)
            }
        }
    }

    // MARK: client messages

    /// One message from a client session.
    public func receive(_ m: ClientMessage, from session: String, now: UInt64) {
        guard sessions[session] != nil else { return }
        let request: CallRequest, callID: String?
        switch m {
        case .signIn(let user, let password):
            sessions.signIn(session, user: user, password: password, now: now)
            return drainSessions()
        case .signOut:
            signal(session, .signedOut(reason: "signed out"))
            return close(session, reason: "signed out", closeTransport: true, now: now)
        case .ping: return signal(session, .pong)
        case .call(let id, let r): (callID, request) = (id, r)
        }
        let type = request.type
        guard sessions[session]?.state == .signedIn else { return error(session, .notSignedIn, "sign in first", request: type) }
        guard let id = callID, SignalingToken.isCallID(id) else {
            return error(session, .badMessage, "\(type) needs a call id (letters, digits, - and _; at most 40)", request: type)
        }
        if case .place(let to, let sdp, let data) = request {
            return placeCall(session, id: id, to: to, sdp: sdp, data: data, now: now)
        }
        guard let call = callsOfSession[session]?[id] else {
            return error(session, .noSuchCall, "no call \(id)", call: id, request: type)
        }
        switch request {
        case .place: break
        case .answer(let sdp): answer(call, sdp: sdp, now: now)
        case .reject: reject(call, now: now)
        case .hangup: hangUp(call, cause: .hangup, reason: "hung up by the browser", now: now)
        case .dtmf(let digits): sendDTMF(call, digits: digits)
        case .info(let content, let map): sendInfo(call, map: map, content: content)
        case .hold, .resume: changeHold(call, hold: request == .hold)
        case .reoffer(let sdp): reoffer(call, sdp: sdp)
        case .stats: outputs.append(.reportStats(call: call.id, session: session))
        case .candidate: break  // ICE-lite learns the browser's addresses from its checks (RFC 8445 §2.5)
        case .unknown: error(session, .badMessage, "unknown message type \(type)", call: id, request: type)
        }
    }

    /// Where a session's calls stand, for the Genesys words that name them.
    public func standing(in session: String) -> (String) -> GenesysDialect.CallStanding? {
        let calls = callsOfSession[session] ?? [:]
        return { id in
            calls[id].map { .init(ringing: $0.phase == .ringing || $0.phase == .calling, incoming: $0.direction == .incoming) }
        }
    }

    func signal(_ session: String, _ event: ServerEvent) { outputs.append(.signal(session: session, event)) }

    func error(_ session: String, _ code: SignalingError.Code, _ message: String, call: String? = nil, request: String? = nil) {
        signal(session, .error(SignalingError(code, message, call: call, request: request)))
    }

    func log(_ message: String, _ level: LogLevel = .info) { outputs.append(.log(level, message, about: nil)) }

    /// A line about `call`, with the call's identifiers as the log's metadata.
    func log(_ call: Call, _ message: String, _ level: LogLevel = .info) {
        outputs.append(.log(level, message, about: context(of: call)))
    }

    func context(of call: Call) -> CallContext {
        CallContext(call: call.id, user: call.user, sipCallID: call.placed?.callID ?? call.dialog?.callID ?? call.invite?.headers["Call-ID"])
    }

    // MARK: ending calls

    /// Ends a call at the gateway and tells the client (the SIP side is dealt with by the caller).
    func finish(_ call: Call, code: Int, reason: String, cause: EndCause, now: UInt64) {
        guard !call.isEnded else { return }
        call.phase = .ended
        outputs.append(.closeMedia(call: call.id))
        callsOfSession[call.session]?[call.id] = nil
        calls[call.id] = nil
        sipCalls.remove(call)
        ringDeadlines.set(call.id, at: nil)
        closingDeadlines.set(call.id, at: nil)
        if let key = call.inviteKey { ringingByInvite[key] = nil }
        if let id = call.dialog?.id { dialogs.close(id) }
        if let offer = call.ourOffer, !call.ourOfferOpened { ports.release(offer.local.port) }   // never answered
        let seconds = Double(now &- call.startedAt) / 1e6
        log(call, "call \(call.id) of \(call.user) ended: \(code) \(reason) (\(cause.rawValue)), \((seconds * 10).rounded() / 10) s")
        signal(call.session, .ended(call: call.id, code: code, reason: reason, cause: cause))
        outputs.append(.callEnded(CallRecord(direction: call.direction, cause: cause, sipCode: code, startedAt: call.startedAt,
                                             answeredAt: call.answeredAt, endedAt: now), about: context(of: call)))
    }

    /// `call` is up: the page hears of it, and the shell may say how its media flows.
    func markAnswered(_ call: Call, now: UInt64, _ line: String) {
        call.phase = .answered(Call.Hold())
        call.answeredAt = now
        signal(call.session, .answered(call: call.id))
        log(call, line)
        outputs.append(.mediaSettled(call: call.id))
    }

    /// The browser's side ends the call: CANCEL or BYE (outgoing), decline or BYE (incoming).
    func hangUp(_ call: Call, cause: EndCause, reason: String, now: UInt64) {
        guard !call.isEnded else { return }
        if let placed = call.placed {
            if let bye = placed.bye() {
                outputs.append(.sendPlaced(bye, placed))     // its answer (or timeout) ends the SIP call
            } else if let cancel = placed.cancel() {
                outputs.append(.sendPlaced(cancel, placed))  // its 487 (or a racing 200, then BYE) comes later
            }
        } else if call.direction == .incoming {
            if call.dialog != nil, call.isUp {
                sendInDialog(call, .bye, pending: .bye)
            } else if call.phase == .ringing || call.phase == .answering {
                respondToInvite(call, 480, "Temporarily Unavailable")
            }
        }
        finish(call, code: 0, reason: reason, cause: cause, now: now)
    }

    /// The browser leg ended by itself: ICE consent lost, DTLS failed, or the
    /// browser closed it. A close is how a browser hangs up (its hang-up
    /// message may come a moment later, or not at all): the call ends as a
    /// hang-up after `hangUpGrace` unless the message comes first.
    public func browserLegEnded(call id: String, _ ending: BrowserLegEnding, now: UInt64) {
        guard let call = calls[id] else { return }
        call.browserLegOpen = false
        switch ending {
        case .closedByBrowser:
            log(call, "call \(call.id): the browser closed its media")
            closingDeadlines.set(call.id, at: now &+ settings.hangUpGrace)
        case .lost(_, let reason):
            log(call, "call \(call.id): browser media ended (\(reason)), hanging up the SIP side", .warning)
            hangUp(call, cause: .mediaLost, reason: reason, now: now)
        }
    }
}

/// Why a call's browser leg ended.
public enum BrowserLegEnding: Sendable, Equatable {
    /// The browser closed it (DTLS close_notify): it hung up.
    case closedByBrowser
    /// It was lost: ICE consent expired, DTLS failed, setup timed out.
    case lost(BrowserLegLoss, String)
}

/// What lost a browser leg (the operator's counts).
public enum BrowserLegLoss: String, Sendable, Equatable {
    /// ICE did not nominate a path by the setup deadline.
    case ice
    /// DTLS failed or did not complete, or its SRTP keys were refused.
    case dtls
    /// ICE consent expired (RFC 7675): the browser went away.
    case consent
    /// The call reached its maximum length.
    case maxLength = "max-length"
}
