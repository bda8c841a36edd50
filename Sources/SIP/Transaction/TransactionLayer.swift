import HeapModule

/// The transaction layer of RFC 3261 §17 with the changes of RFC 6026, as a
/// sans-IO core: the caller passes messages and `now` (microseconds) in and
/// carries out the outputs; one timer (`nextTimeout`) drives every
/// retransmission and timeout.
public final class TransactionLayer {
    public enum Output: Equatable, Sendable {
        /// Put this message on the wire to `peer`.
        case send(SIPMessage, to: SIPPeer)
        /// A new request for the transaction user (the UA core); answer it with `respond`.
        case request(SIPRequest, from: SIPPeer, key: TransactionKey)
        /// A response for the transaction user, to a request it sent.
        case response(SIPResponse, key: TransactionKey)
        /// An ACK to a 2xx, or a stray response or request: the UA core handles these (§17.1.1.2, §13.3.1.4).
        case stray(SIPMessage, from: SIPPeer)
        /// The transaction timed out (timer B, F, H): a 408 for the TU; `peer`, where its request went.
        case timeout(key: TransactionKey, peer: SIPPeer)
        /// A new request was refused at a limit (answered statelessly with a 503
        /// and Retry-After, also in the outputs): `reason` for the operator's counts.
        case refused(reason: String)
    }

    enum State { case calling, trying, proceeding, accepted, completed, confirmed, terminated }

    final class Transaction {
        let key: TransactionKey
        let isInvite: Bool
        var peer: SIPPeer
        /// The request as it goes over UDP, and where, for a request sent over TCP only for its size.
        var udpFallback: (request: SIPRequest, peer: SIPPeer)?
        var state: State
        var request: SIPRequest
        var lastResponse: SIPResponse?
        var ack: SIPRequest?
        var retransmitAt: UInt64? { didSet { if let at = retransmitAt { layer.schedule(self, at: at) } } }
        var retransmitInterval: UInt64
        var timeoutAt: UInt64? { didSet { if let at = timeoutAt { layer.schedule(self, at: at) } } }
        unowned let layer: TransactionLayer

        init(layer: TransactionLayer, key: TransactionKey, isInvite: Bool, peer: SIPPeer, state: State,
             request: SIPRequest, interval: UInt64) {
            self.layer = layer
            self.key = key
            self.isInvite = isInvite
            self.peer = peer
            self.state = state
            self.request = request
            retransmitInterval = interval
        }
    }

    public var timers: TransactionTimers
    /// Bounds the table: a flood of new requests beyond it is answered 503 by the caller.
    public let maxTransactions: Int
    private var transactions: [TransactionKey: Transaction] = [:]
    /// Every deadline set, earliest first, so that the timer costs no scan of
    /// the table. Entries stay when a deadline changes or a transaction ends;
    /// one that is no longer its transaction's is dropped when it comes up.
    private var deadlines = Heap<Deadline>()

    struct Deadline: Comparable {
        let at: UInt64
        let transaction: Transaction
        static func < (a: Deadline, b: Deadline) -> Bool { a.at < b.at }
        static func == (a: Deadline, b: Deadline) -> Bool { a.at == b.at && a.transaction === b.transaction }
    }

    /// New calls per second taken on; the rest are refused (overload control).
    public var callAdmission: CallAdmission

    public init(timers: TransactionTimers = TransactionTimers(), maxTransactions: Int = 100_000,
                callAdmission: CallAdmission = CallAdmission(perSecond: 500)) {
        self.timers = timers
        self.maxTransactions = maxTransactions
        self.callAdmission = callAdmission
    }

    public var count: Int { transactions.count }
    /// Requests and responses sent again by the timers (A, E, G) so far.
    public private(set) var retransmissions: UInt64 = 0
    public var isFull: Bool { transactions.count >= maxTransactions }

    // MARK: client transactions (§17.1)

    /// Starts a client transaction for `request`, whose top Via carries a fresh branch.
    /// `udpFallback`: the request as it would go over UDP, and where, when it is
    /// sent over TCP only because of its size (`TransportChoice`).
    public func send(_ request: SIPRequest, to peer: SIPPeer, udpFallback: (SIPRequest, SIPPeer)? = nil,
                     now: UInt64) -> (TransactionKey, [Output]) {
        let branch = request.headers.topVia?.branch ?? ""
        let key = TransactionKey.client(branch: branch, method: request.method)
        let invite = request.method == .invite
        let t = Transaction(layer: self, key: key, isInvite: invite, peer: peer, state: invite ? .calling : .trying, request: request,
                            interval: timers.t1)
        t.udpFallback = udpFallback
        if !peer.isReliable { t.retransmitAt = now + timers.t1 }            // timer A / E
        t.timeoutAt = now + timers.timeout64T1                                // timer B / F
        transactions[key] = t
        return (key, [.send(.request(request), to: peer)])
    }

    /// Where the request of a transaction under way went.
    public func peer(of key: TransactionKey) -> SIPPeer? { transactions[key]?.peer }

    /// The transport could not carry the request of a client transaction (a
    /// TCP or TLS connection that could not be opened). A request moved to TCP
    /// only for its size goes over UDP instead (§18.1.1); any other gets a 503
    /// for the TU at once (§8.1.3.1), not a timeout at timer B or F.
    public func transportFailed(_ request: SIPRequest, now: UInt64) -> [Output] {
        guard request.method != .ack,
              let branch = request.headers.topVia?.branch,
              let t = transactions[.client(branch: branch, method: request.method)],
              t.state == .calling || t.state == .trying else { return [] }
        if let (udpRequest, udpPeer) = t.udpFallback {
            t.udpFallback = nil
            t.request = udpRequest
            t.peer = udpPeer
            t.retransmitInterval = timers.t1
            t.retransmitAt = now + timers.t1
            t.timeoutAt = now + timers.timeout64T1
            return [.send(.request(udpRequest), to: udpPeer)]
        }
        t.state = .terminated
        transactions[t.key] = nil
        return [.response(Self.response(to: t.request, .serviceUnavailable), key: t.key)]
    }

    private func receiveResponse(_ response: SIPResponse, from peer: SIPPeer, now: UInt64) -> [Output] {
        guard let via = response.headers.topVia, let branch = via.branch,
              let cseq = response.headers.cseq,
              let t = transactions[.client(branch: branch, method: cseq.method)] else {
            return [.stray(.response(response), from: peer)] // e.g. a retransmitted 2xx after the transaction ended
        }
        let code = response.statusCode
        if t.isInvite {
            switch t.state {
            case .calling, .proceeding:
                if code < 200 {
                    // Proceeding: no more retransmissions, and no timer B: a call may ring for minutes.
                    t.state = .proceeding
                    t.retransmitAt = nil
                    t.timeoutAt = nil
                    return [.response(response, key: t.key)]
                }
                if code < 300 {
                    // RFC 6026: Accepted, so that retransmitted 2xx still reach the UA core (timer M).
                    t.state = .accepted
                    t.retransmitAt = nil
                    t.timeoutAt = now + timers.timeout64T1
                    return [.response(response, key: t.key)]
                }
                t.state = .completed
                t.retransmitAt = nil
                t.timeoutAt = now + (t.peer.isReliable ? 0 : 32_000_000)          // timer D
                let ack = Self.ackForFailure(t.request, response: response)
                t.ack = ack
                return [.send(.request(ack), to: t.peer), .response(response, key: t.key)]
            case .accepted:
                return code >= 200 && code < 300 ? [.response(response, key: t.key)] : []
            case .completed:
                return t.ack.map { [.send(.request($0), to: t.peer)] } ?? []      // the final response again: ACK again
            default:
                return []
            }
        }
        switch t.state {
        case .trying, .proceeding:
            if code < 200 {
                t.state = .proceeding
                return [.response(response, key: t.key)]
            }
            t.state = .completed
            t.retransmitAt = nil
            t.timeoutAt = now + (t.peer.isReliable ? 0 : timers.t4)              // timer K
            return [.response(response, key: t.key)]
        default:
            return []
        }
    }

    /// §17.1.1.3: the ACK of a non-2xx final response belongs to the INVITE transaction.
    static func ackForFailure(_ invite: SIPRequest, response: SIPResponse) -> SIPRequest {
        var h = SIPHeaders()
        if let via = invite.headers.values("Via").first { h.add("Via", via) }
        for name in ["Max-Forwards", "From"] { if let v = invite.headers[name] { h.add(name, v) } }
        if let to = response.headers["To"] { h.add("To", to) }
        if let callID = invite.headers["Call-ID"] { h.add("Call-ID", callID) }
        let number = invite.headers.cseq?.number ?? 1
        h.add("CSeq", "\(number) ACK")
        for route in invite.headers.all("Route") { h.add("Route", route) }
        return SIPRequest(method: .ack, uri: invite.uri, headers: h)
    }

    // MARK: server transactions (§17.2)

    private func receiveRequest(_ request: SIPRequest, from peer: SIPPeer, now: UInt64) -> [Output] {
        guard let key = TransactionKey.server(for: request) else { return [] }
        if let t = transactions[key] {
            if request.method == .ack {
                guard t.isInvite else { return [] }
                if t.state == .completed {
                    t.state = .confirmed
                    t.retransmitAt = nil
                    t.timeoutAt = now + (peer.isReliable ? 0 : timers.t4)             // timer I
                    return []
                }
                // An ACK to a 2xx is end to end: the UA core takes it (§17.2.1, RFC 6026).
                return t.state == .accepted ? [.stray(.request(request), from: peer)] : []
            }
            // A retransmitted request: answer with the last response, if any.
            if [.proceeding, .completed, .trying].contains(t.state), let last = t.lastResponse {
                return [.send(.response(last), to: t.peer)]
            }
            return []
        }
        if request.method == .ack { return [.stray(.request(request), from: peer)] }
        let invite = request.method == .invite
        if isFull { return refuse(request, from: peer, retryAfter: callAdmission.retryAfter, reason: "sip-transactions-full") }
        if invite, Self.startsACall(request), !callAdmission.admit(now: now) {
            return refuse(request, from: peer, retryAfter: callAdmission.retryAfter, reason: "sip-call-rate")
        }
        let t = Transaction(layer: self, key: key, isInvite: invite, peer: peer, state: invite ? .proceeding : .trying,
                            request: request, interval: timers.t1)
        transactions[key] = t
        var out: [Output] = []
        if invite {
            // Sent at once rather than after 200 ms: it stops the caller's INVITE retransmissions.
            let trying = Self.response(to: request, .trying)
            t.lastResponse = trying
            out.append(.send(.response(trying), to: peer))
        }
        out.append(.request(request, from: peer, key: key))
        return out
    }

    /// An INVITE outside any dialog (no To tag): a new call.
    public static func startsACall(_ request: SIPRequest) -> Bool {
        request.headers.to?.tag == nil
    }

    /// A 503 with Retry-After, sent without a transaction: a retransmission gets another.
    private func refuse(_ request: SIPRequest, from peer: SIPPeer, retryAfter: Int, reason: String) -> [Output] {
        var busy = Self.response(to: request, .serviceUnavailable, toTag: "overload")
        busy.headers.add("Retry-After", String(retryAfter))
        return [.send(.response(busy), to: peer), .refused(reason: reason)]
    }

    /// Sends the transaction user's response to the request of `key`.
    public func respond(_ key: TransactionKey, _ response: SIPResponse, now: UInt64) -> [Output] {
        guard let t = transactions[key], key.isServer else { return [] }
        let code = response.statusCode
        guard t.state != .terminated, t.state != .confirmed else { return [] }
        if t.isInvite {
            guard t.state == .proceeding || (t.state == .accepted && code >= 200 && code < 300) else { return [] }
            t.lastResponse = response
            if code < 200 { return [.send(.response(response), to: t.peer)] }
            if code < 300 {
                t.state = .accepted
                t.timeoutAt = now + timers.timeout64T1                               // timer L
                return [.send(.response(response), to: t.peer)]
            }
            t.state = .completed
            if !t.peer.isReliable { t.retransmitAt = now + timers.t1 }               // timer G
            t.timeoutAt = now + timers.timeout64T1                                    // timer H
            return [.send(.response(response), to: t.peer)]
        }
        guard t.state == .trying || t.state == .proceeding else { return [] }
        t.lastResponse = response
        if code < 200 {
            t.state = .proceeding
        } else {
            t.state = .completed
            t.timeoutAt = now + (t.peer.isReliable ? 0 : timers.timeout64T1)        // timer J
        }
        return [.send(.response(response), to: t.peer)]
    }

    /// A response to `request` with its Via, From, To, Call-ID and CSeq (§8.2.6.2).
    public static func response(to request: SIPRequest, _ status: SIPStatus, reason: String? = nil, toTag: String? = nil)
        -> SIPResponse {
        let code = status.code
        var h = SIPHeaders()
        for via in request.headers.all("Via") { h.add("Via", via) }
        for name in ["From", "To", "Call-ID", "CSeq"] {
            guard var v = request.headers[name] else { continue }
            if name == "To", let toTag, code > 100, request.headers.to?.tag == nil { v += ";tag=\(toTag)" }
            h.add(name, v)
        }
        // A response that makes a dialog carries the Record-Route of its request (§12.1.1).
        if request.method == .invite, (101..<300).contains(code) {
            for route in request.headers.all("Record-Route") { h.add("Record-Route", route) }
        }
        return SIPResponse(status, reason: reason, headers: h)
    }

    /// A 2xx that carries our SDP: our Contact (the peer's target in the dialog), `headers`, the body.
    public static func sdpAnswer(to r: SIPRequest, contact: SIPURI, sdp: [UInt8], toTag: String? = nil,
                          headers: [(String, String)] = []) -> SIPResponse {
        var ok = TransactionLayer.response(to: r, .ok, toTag: toTag)
        ok.headers.add("Contact", "<\(contact)>")
        for (name, value) in headers { ok.headers.add(name, value) }
        ok.headers.add("Content-Type", "application/sdp")
        ok.body = sdp
        return ok
    }

    /// The request a transaction was made for.
    public func request(for key: TransactionKey) -> SIPRequest? { transactions[key]?.request }

    /// The server transaction a CANCEL cancels (§9.2): the INVITE with the same branch.
    public func inviteKey(cancelledBy cancel: SIPRequest) -> TransactionKey? {
        guard let k = TransactionKey.server(for: cancel) else { return nil }
        let key = TransactionKey(isServer: true, branch: k.branch, sentBy: k.sentBy, method: .invite)
        return transactions[key].map { $0.state == .proceeding ? key : nil } ?? nil
    }

    // MARK: input and timers

    public func receive(_ message: SIPMessage, from peer: SIPPeer, now: UInt64) -> [Output] {
        switch message {
        case .request(let r): receiveRequest(r, from: peer, now: now)
        case .response(let r): receiveResponse(r, from: peer, now: now)
        }
    }

    /// Runs the timers due at `now`.
    public func poll(now: UInt64) -> [Output] {
        var out: [Output] = []
        while let due = deadlines.min, due.at <= now {
            _ = deadlines.popMin()
            guard isCurrent(due) else { continue }
            let t = due.transaction, key = t.key
            if let at = t.retransmitAt, now >= at { out += retransmit(t, now: now) }
            if let at = t.timeoutAt, now >= at {
                let unanswered = !key.isServer && [.calling, .trying, .proceeding].contains(t.state)  // timer B / F
                let unacknowledged = key.isServer && t.isInvite && t.state == .completed             // timer H
                if unanswered || unacknowledged { out.append(.timeout(key: key, peer: t.peer)) }
                t.state = .terminated
                transactions[key] = nil
            }
        }
        return out
    }

    fileprivate func schedule(_ t: Transaction, at: UInt64) { deadlines.insert(Deadline(at: at, transaction: t)) }

    /// Whether a deadline is still one of its transaction's, and the transaction still in the table.
    private func isCurrent(_ d: Deadline) -> Bool {
        transactions[d.transaction.key] === d.transaction
            && (d.transaction.retransmitAt == d.at || d.transaction.timeoutAt == d.at)
    }

    private func retransmit(_ t: Transaction, now: UInt64) -> [Output] {
        let out = resend(t, now: now)
        retransmissions &+= UInt64(out.count)
        return out
    }

    private func resend(_ t: Transaction, now: UInt64) -> [Output] {
        switch (t.key.isServer, t.state) {
        case (false, .calling):                                                     // timer A doubles
            t.retransmitInterval *= 2
            t.retransmitAt = now + t.retransmitInterval
            return [.send(.request(t.request), to: t.peer)]
        case (false, .trying), (false, .proceeding):                                // timer E, capped at T2
            t.retransmitInterval = t.state == .proceeding ? timers.t2 : min(t.retransmitInterval * 2, timers.t2)
            t.retransmitAt = now + t.retransmitInterval
            return [.send(.request(t.request), to: t.peer)]
        case (true, .completed) where t.isInvite:                                   // timer G, capped at T2
            t.retransmitInterval = min(t.retransmitInterval * 2, timers.t2)
            t.retransmitAt = now + t.retransmitInterval
            return t.lastResponse.map { [.send(.response($0), to: t.peer)] } ?? []
        default:
            t.retransmitAt = nil
            return []
        }
    }

    public var nextTimeout: UInt64? {
        while let next = deadlines.min {
            if isCurrent(next) { return next.at }
            _ = deadlines.popMin()
        }
        return nil
    }
}
