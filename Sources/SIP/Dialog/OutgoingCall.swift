import WireInput

/// One call this gateway places (the UAC side of RFC 3261 §13.2 and §15):
/// the INVITE, its answer to a digest challenge, the ACK of a 2xx (sent by
/// the UA core, again for every retransmitted 2xx), CANCEL before an answer,
/// BYE after. Sans-IO: it makes requests; the caller sends them through the
/// transaction layer (except the 2xx ACK, which goes straight to the wire).
public final class OutgoingCall {
    public enum State: Equatable, Sendable {
        case calling
        case early(code: Int)
        case confirmed
        case ended(code: Int, reason: String)
    }

    public struct Settings: Sendable {
        public var from: SIPURI
        public var to: SIPURI
        public var contact: SIPURI
        public var credentials: DigestCredentials?
        public var via: (transport: String, host: String, port: UInt16)
        /// Headers the INVITE carries besides its own (application data, e.g. `X-Genesys-*`): checked by the caller.
        public var extraHeaders: [(String, String)] = []
        public init(from: SIPURI, to: SIPURI, contact: SIPURI, credentials: DigestCredentials?,
                    via: (transport: String, host: String, port: UInt16)) {
            self.from = from
            self.to = to
            self.contact = contact
            self.credentials = credentials
            self.via = via
        }
    }

    public let settings: Settings
    public let callID: String
    public let fromTag: String
    public private(set) var state: State = .calling
    public private(set) var dialog: Dialog?
    public private(set) var invite: SIPRequest
    public private(set) var answerBody: [UInt8] = []
    private var cseq: UInt32 = 1
    private var ack: SIPRequest?
    /// Our re-INVITE in flight (hold, resume, a new offer), and when to try it again after a 491.
    private var reinvite: (request: SIPRequest, cseq: UInt32)?
    public private(set) var retryAt: UInt64?
    public var hasPendingReinvite: Bool { reinvite != nil }
    /// How the last re-INVITE ended: 200, or the failure code (the old session stays then).
    public private(set) var lastReinviteResult: Int?
    private var authTries = 0
    /// RFC 4028: the interval we ask for (raised by a 422's Min-SE), and the timers once answered.
    private var sessionInterval = SessionRefresh.requested
    private var sessionRetried = false
    public private(set) var sessionTimer = SessionRefresh()
    /// Our BYE, kept to answer a digest challenge to it once.
    private var lastBye: SIPRequest?
    private var byeAuthTried = false
    private let token: () -> String
    private let offer: [UInt8]

    public init(settings: Settings, offer: [UInt8], token: @escaping () -> String) {
        self.settings = settings
        self.token = token
        self.offer = offer
        callID = token()
        fromTag = token()
        invite = SIPRequest(method: .invite, uri: settings.to)
        invite = makeInvite(authorization: nil)
    }

    private func via() -> Via {
        Via.local(transport: settings.via.transport, host: settings.via.host, port: settings.via.port, branchToken: token())
    }

    private func makeInvite(authorization: (String, String)?) -> SIPRequest {
        var h = SIPHeaders.newRequest(.invite, via: via(), from: "<\(settings.from)>;tag=\(fromTag)", to: "<\(settings.to)>",
                                      callID: callID, cseq: cseq)
        h.add("Contact", "<\(settings.contact)>")
        h.add("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE")
        for (name, value) in SessionRefresh.requestHeaders(interval: sessionInterval) { h.add(name, value) }
        if let (name, value) = authorization { h.add(name, value) }
        for (name, value) in settings.extraHeaders { h.add(name, value) }
        h.add("Content-Type", "application/sdp")
        return SIPRequest(method: .invite, uri: settings.to, headers: h, body: offer)
    }

    /// A response to the INVITE. Returns the request to send next: a new INVITE
    /// with credentials (through a new transaction) or the ACK of a 2xx (to the wire).
    public func handle(_ response: SIPResponse, now: UInt64 = 0) -> (invite: SIPRequest?, ackToWire: SIPRequest?) {
        let code = response.statusCode
        switch state {
        case .ended: return (nil, nil)
        case .confirmed:
            let number = response.headers.cseq?.number
            if let pending = reinvite, number == pending.cseq { return (nil, reinviteAnswered(response, now: now)) }
            // A retransmitted 2xx: our ACK was lost, send it again (§13.2.2.4).
            return (nil, code >= 200 && code < 300 && number == cseq ? ack : nil)
        default: break
        }
        if code < 200 {
            if code > 100 { state = .early(code: code) }
            return (nil, nil)
        }
        if code < 300 {
            guard let d = Dialog.asClient(request: invite, response: response) else {
                state = .ended(code: 502, reason: "2xx without a usable Contact or To tag")
                return (nil, nil)
            }
            dialog = d
            answerBody = response.body
            state = .confirmed
            sessionTimer.established(response, now: now)
            var a = d
            var request = a.request(.ack, contact: settings.contact)
            request.headers.set("CSeq", "\(cseq) ACK")
            request.headers.prepend("Via", via().description)
            ack = request
            return (nil, request)
        }
        if code == 422, !sessionRetried, let minimum = response.headers["Min-SE"].flatMap({ WireNumber.deltaSeconds(SIPText.trim(Substring($0))) }),
           minimum > sessionInterval, minimum <= 86_400 {
            // Interval too small for the far end (§6): ask again with its minimum.
            sessionRetried = true
            sessionInterval = minimum
            cseq += 1
            invite = makeInvite(authorization: nil)
            return (invite, nil)
        }
        if (code == 401 || code == 407), let creds = settings.credentials, authTries == 0 {
            let header = code == 401 ? "WWW-Authenticate" : "Proxy-Authenticate"
            if let c = response.headers.all(header).compactMap(DigestChallenge.init).first(where: \.isSupported) {
                authTries += 1
                cseq += 1
                let value = creds.authorization(for: c, method: .invite, uri: settings.to.description, nonceCount: 1,
                                                cnonce: token())
                invite = makeInvite(authorization: (code == 401 ? "Authorization" : "Proxy-Authorization", value))
                return (invite, nil)
            }
        }
        state = .ended(code: code, reason: response.reason)
        return (nil, nil)
    }

    /// The transaction timed out or failed.
    public func failed(code: Int, reason: String) { state = .ended(code: code, reason: reason) }

    /// CANCEL before a final response (§9.1): same Request-URI, Call-ID, From, To, CSeq number and Via branch.
    public func cancel() -> SIPRequest? {
        switch state {
        case .calling, .early:
            cancelled = true
            return makeCancel()
        case .confirmed, .ended:
            return nil
        }
    }

    /// A CANCEL went out for this call.
    public private(set) var cancelled = false

    /// The BYE a call owes when its 2xx crossed our CANCEL (§9.1): answered
    /// at the far end, unwanted here. nil when it owes none.
    public func byeAfterCancel() -> SIPRequest? { cancelled ? bye() : nil }

    private func makeCancel() -> SIPRequest {
        var h = SIPHeaders()
        if let v = invite.headers.values("Via").first { h.add("Via", v) }
        h.add("Max-Forwards", "70")
        for name in ["From", "To", "Call-ID"] { if let v = invite.headers[name] { h.add(name, v) } }
        h.add("CSeq", "\(cseq) CANCEL")
        return SIPRequest(method: .cancel, uri: invite.uri, headers: h)
    }

    /// BYE in the dialog (§15.1.1).
    public func bye() -> SIPRequest? {
        guard state == .confirmed, var d = dialog else { return nil }
        var request = d.request(.bye, contact: settings.contact)
        request.headers.prepend("Via", via().description)
        dialog = d
        state = .ended(code: 200, reason: "hung up")
        lastBye = request
        return request
    }

    /// A 401/407 to our BYE (proxies may challenge it, §22.2): the BYE again
    /// with credentials, once; nil for any other response.
    public func byeChallenged(_ response: SIPResponse) -> SIPRequest? {
        let code = response.statusCode
        guard code == 401 || code == 407, !byeAuthTried, let creds = settings.credentials, var d = dialog,
              let challenge = response.headers.all(code == 401 ? "WWW-Authenticate" : "Proxy-Authenticate")
                .compactMap(DigestChallenge.init).first(where: \.isSupported) else { return nil }
        byeAuthTried = true
        var request = d.request(.bye, contact: settings.contact)
        request.headers.prepend("Via", via().description)
        request.headers.add(code == 401 ? "Authorization" : "Proxy-Authorization",
                            creds.authorization(for: challenge, method: .bye, uri: request.uri.description, nonceCount: 1,
                                                cnonce: token()))
        dialog = d
        lastBye = request
        return request
    }

    /// Another request in the confirmed dialog (INFO, UPDATE), through a new transaction.
    public func request(_ method: SIPMethod, body: [UInt8] = [], contentType: String? = nil) -> SIPRequest? {
        guard state == .confirmed, var d = dialog else { return nil }
        var request = d.request(method, contact: settings.contact, body: body, contentType: contentType)
        request.headers.prepend("Via", via().description)
        dialog = d
        return request
    }

    /// A re-INVITE with a new offer (hold, resume) in the confirmed dialog; nil
    /// while one is pending (§14.1: one at a time).
    public func reinvite(offer: [UInt8]) -> SIPRequest? {
        guard state == .confirmed, reinvite == nil, var d = dialog else { return nil }
        var request = d.request(.invite, contact: settings.contact, body: offer, contentType: "application/sdp")
        request.headers.prepend("Via", via().description)
        dialog = d
        reinvite = (request, d.localSeq)
        return request
    }

    private func reinviteAnswered(_ response: SIPResponse, now: UInt64) -> SIPRequest? {
        guard let pending = reinvite else { return nil }
        let code = response.statusCode
        if code < 200 { return nil }
        if code == 491 {
            // Glare (§14.1): we own the Call-ID, so wait 2.1 to 4 s before trying again.
            retryAt = now + UInt64.random(in: 2_100_000...4_000_000)
            return nil
        }
        reinvite = nil
        lastReinviteResult = code
        guard code < 300, var d = dialog else { return nil }
        if let c = response.headers.contact { d.remoteTarget = c.uri }
        var ackRequest = d.request(.ack, contact: settings.contact)
        ackRequest.headers.set("CSeq", "\(pending.cseq) ACK")
        ackRequest.headers.prepend("Via", via().description)
        dialog = d
        answerBody = response.body
        return ackRequest
    }

    /// What is due at `now`: the re-INVITE to send again once a 491's wait
    /// is over (a new transaction, a new CSeq), our session refresh (UPDATE),
    /// or the BYE of a session the far end let expire (the call is then over).
    public func poll(now: UInt64) -> SIPRequest? {
        if let at = retryAt, now >= at, let pending = reinvite {
            retryAt = nil
            reinvite = nil
            return reinvite(offer: pending.request.body)
        }
        guard state == .confirmed else { return nil }
        switch sessionTimer.due(now: now) {
        case .refresh:
            var update = request(.update)
            update?.headers.add("Session-Expires", "\(sessionTimer.interval ?? sessionInterval);refresher=uac")
            update?.headers.add("Supported", "timer")
            return update
        case .expired:
            let byeRequest = bye()
            state = .ended(code: 408, reason: "session expired without a refresh")
            return byeRequest
        case nil:
            return nil
        }
    }

    /// The answer to our refresh UPDATE: a 2xx restarts the interval (a
    /// failure lets it run out, and the call ends then).
    public func refreshAnswered(_ response: SIPResponse, now: UInt64) {
        if (200..<300).contains(response.statusCode) { sessionTimer.refreshed(now: now) }
    }

    /// The far end refreshed the session (its re-INVITE or UPDATE).
    public func peerRefreshed(now: UInt64) { sessionTimer.refreshed(now: now) }

    /// When `poll` has something to do next.
    public var nextTimeout: UInt64? { [retryAt, sessionTimer.nextTimeout].compactMap { $0 }.min() }

    /// A BYE from the far end ends the call.
    public func remoteHungUp() { state = .ended(code: 200, reason: "far end hung up") }
}
