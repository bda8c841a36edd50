import SIP

/// The calls the gateway's user agent places (sans-IO): each `OutgoingCall`
/// by its Call-ID, where its requests go, which client transaction belongs
/// to which call, and one deadline queue for their re-INVITE retries,
/// session refreshes and expiries. The shell sends what `pollOutput` hands
/// out, through a client transaction whose key it reports back with `sent`,
/// and feeds in the transactions' outcomes.
public final class PlacedCalls {
    public enum Output {
        /// Send `request` of the call `callID` in a new client transaction to `hop`
        /// (a CANCEL cancels the call's INVITE); report the key with `sent`.
        case send(SIPRequest, callID: String, to: SIPPeer, cancelling: SIPRequest?)
        /// The ACK of a 2xx: written to `hop` as it is, no transaction.
        case write(SIPRequest, to: SIPPeer)
        /// The call changed: a response to its INVITE or re-INVITE, a far-end BYE, a timeout, an expired session.
        case changed(OutgoingCall, response: SIPResponse?)
        /// The call is over: what the shell holds for it (media) may go.
        case ended(callID: String)
        case log(String)
    }

    /// Where the requests of calls placed without a route of their own go (the SIP server, the outbound proxy).
    public var server: SIPPeer
    /// How long an ended call stays readable (the status of test calls), in µs.
    public var retention: UInt64 = 60_000_000
    private var calls: [String: OutgoingCall] = [:]
    private var routes: [String: SIPPeer] = [:]
    private var transactions = OwnerIndex<TransactionKey, String>()
    private var deadlines = DeadlineQueue<String>()
    private var forgetAt: [String: UInt64] = [:]
    private var outputs: [Output] = []

    public init(server: SIPPeer) { self.server = server }

    public func pollOutput() -> Output? { outputs.isEmpty ? nil : outputs.removeFirst() }

    public var nextTimeout: UInt64? { deadlines.next() }

    public subscript(callID: String) -> OutgoingCall? { calls[callID] }

    /// Calls placed and not ended.
    public var activeCount: Int { calls.values.filter { if case .ended = $0.state { false } else { true } }.count }

    /// Every call kept, with where it stands (the status of test calls).
    public var states: [String: String] {
        calls.mapValues { "\($0.state)" + ($0.lastReinviteResult.map { " reinvite \($0)" } ?? "") }
    }

    /// Where `callID`'s requests go: its own route, or the SIP server.
    public func nextHop(for callID: String) -> SIPPeer { routes[callID] ?? server }

    /// The call we placed that an in-dialog request belongs to (by its Call-ID, then its tags).
    public func call(in request: SIPRequest) -> OutgoingCall? {
        request.headers["Call-ID"].flatMap { calls[$0] }.flatMap { $0.dialog?.matches(request) == true ? $0 : nil }
    }

    // MARK: inputs

    /// Places `call`: its INVITE goes now, to `route` or else the SIP server.
    public func place(_ call: OutgoingCall, route: SIPPeer? = nil, now: UInt64) {
        calls[call.callID] = call
        routes[call.callID] = route
        send(call.invite, for: call.callID, now: now)
    }

    /// A request the call made (CANCEL, BYE, re-INVITE, INFO, UPDATE) goes out.
    public func send(_ request: SIPRequest, for callID: String, now: UInt64) {
        guard let call = calls[callID] else { return }
        outputs.append(.send(request, callID: callID, to: nextHop(for: callID), cancelling: call.invite))
        reschedule(callID, now: now)
    }

    /// The client transaction a request of `callID` went out in.
    public func sent(_ key: TransactionKey, for callID: String) { transactions.add(key, owner: callID) }

    /// A response in one of the calls' transactions; false when the transaction is not theirs.
    public func response(_ response: SIPResponse, key: TransactionKey, now: UInt64) -> Bool {
        guard let callID = transactions[key] else { return false }
        if response.statusCode >= 200 { _ = transactions.remove(key) }
        handle(response, callID: callID, now: now)
        return true
    }

    /// A 2xx that outlived its INVITE transaction (a retransmission: the ACK goes again).
    public func strayResponse(_ response: SIPResponse, now: UInt64) {
        guard let callID = response.headers["Call-ID"], calls[callID] != nil else { return }
        handle(response, callID: callID, now: now)
    }

    /// A call's transaction got no final response; false when it is not theirs.
    public func timeout(_ key: TransactionKey, now: UInt64) -> Bool {
        guard let callID = transactions.remove(key) else { return false }
        guard let call = calls[callID] else { return true }
        if case .ended = call.state {} else { call.failed(code: 408, reason: "no answer") }
        outputs.append(.changed(call, response: nil))
        end(callID, now: now)
        return true
    }

    /// The far end's BYE ended `callID` (the BYE is answered).
    public func hungUpByPeer(_ callID: String, now: UInt64) {
        guard let call = calls[callID] else { return }
        call.remoteHungUp()
        end(callID, now: now)
    }

    /// The far end refreshed the session of `callID` (its re-INVITE or UPDATE, RFC 4028).
    public func refreshedByPeer(_ callID: String, now: UInt64) {
        calls[callID]?.peerRefreshed(now: now)
        reschedule(callID, now: now)
    }

    /// Re-INVITE retries, session refreshes and expiries that are due; ended calls forgotten.
    public func handleTimeout(now: UInt64) {
        for callID in deadlines.due(now: now) {
            if let at = forgetAt[callID], at <= now {
                forgetAt[callID] = nil
                calls[callID] = nil
                routes[callID] = nil
                continue
            }
            guard let call = calls[callID] else { continue }
            if let due = call.poll(now: now) {
                send(due, for: callID, now: now)
                if case .ended = call.state {   // the session expired: the BYE is out
                    outputs.append(.changed(call, response: nil))
                    end(callID, now: now)
                }
            }
            reschedule(callID, now: now)
        }
    }

    // MARK: responses

    private func handle(_ response: SIPResponse, callID: String, now: UInt64) {
        guard let call = calls[callID], let method = response.headers.cseq?.method
        else { return }
        defer { reschedule(callID, now: now) }
        if method == .bye, response.statusCode >= 200 {
            // Our BYE is answered: again with credentials if challenged, else the call is over here.
            if let retry = call.byeChallenged(response) { send(retry, for: callID, now: now) } else { end(callID, now: now) }
            return
        }
        if method == .update, response.statusCode >= 200 { return call.refreshAnswered(response, now: now) }
        guard method == .invite else { return }
        let before = call.state
        let (invite, ack) = call.handle(response, now: now)
        if let invite { send(invite, for: callID, now: now) }
        if let ack { outputs.append(.write(ack, to: nextHop(for: callID))) }
        if let bye = call.byeAfterCancel() {
            outputs.append(.log("outgoing call \(callID): answered after our CANCEL, ending it"))
            return send(bye, for: callID, now: now)     // its answer (or timeout) ends the call here
        }
        if call.state != before { outputs.append(.log("outgoing call \(callID): \(call.state)")) }
        outputs.append(.changed(call, response: response))
        if case .ended = call.state { end(callID, now: now) }
    }

    /// The call is over: its transactions are no longer followed; it stays readable for `retention`.
    private func end(_ callID: String, now: UInt64) {
        transactions.removeAll(of: callID)
        guard forgetAt[callID] == nil else { return }
        forgetAt[callID] = now &+ retention
        outputs.append(.ended(callID: callID))
        reschedule(callID, now: now)
    }

    private func reschedule(_ callID: String, now: UInt64) {
        let next = [calls[callID].flatMap { call -> UInt64? in
            if case .ended = call.state { return nil }
            return call.nextTimeout
        }, forgetAt[callID]].compactMap { $0 }.min()
        deadlines.set(callID, at: next)
    }
}
