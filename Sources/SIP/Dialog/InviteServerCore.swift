import HeapModule
import WireInput

/// The UAS side of calls (RFC 3261 §13.3, §15): dialogs created by answering
/// INVITEs, the 2xx retransmitted until its ACK arrives (§13.3.1.4; the
/// transaction layer no longer does it, RFC 6026), BYE, and the requests a
/// confirmed dialog takes. Sans-IO like the transaction layer.
public final class InviteServerCore {
    public enum Output: Equatable, Sendable {
        case send(SIPResponse, to: SIPPeer)
        /// No ACK for our 2xx within 64*T1: the call must be ended with a BYE (§13.3.1.4).
        case ackTimeout(dialogID: String)
        /// RFC 4028: the refresher did not refresh the session in time; end it with a BYE.
        case sessionExpired(dialogID: String)
    }

    /// RFC 4028 §4: the smallest session interval we accept (Min-SE).
    public static let minSessionExpires = 90

    public struct Call: Sendable {
        public var dialog: Dialog
        public var peer: SIPPeer
        public var confirmed = false
        var pending2xx: SIPResponse?
        var retransmitAt: UInt64?
        var interval: UInt64 = 0
        var giveUpAt: UInt64?
        /// When the session expires unless the peer refreshes it (RFC 4028 §10).
        var expiresAt: UInt64?
        /// A dialog we did not answer (a call we placed) kept here only while
        /// the 2xx to the far end's re-INVITE waits for its ACK.
        var borrowed = false

        func has(deadline at: UInt64) -> Bool { retransmitAt == at || giveUpAt == at || expiresAt == at }
    }

    public var timers: TransactionTimers
    public private(set) var calls: [String: Call] = [:]
    public let maxCalls: Int
    /// Every deadline set on a call, earliest first; one that is no longer its
    /// call's is dropped when it comes up. No scan of the calls per message or
    /// per tick: a server under load holds thousands of dialogs.
    private var deadlines = Heap<Deadline>()

    private struct Deadline: Comparable {
        let at: UInt64
        let dialogID: String
        static func < (a: Deadline, b: Deadline) -> Bool { a.at < b.at }
    }

    public init(timers: TransactionTimers = TransactionTimers(), maxCalls: Int = 10_000) {
        self.timers = timers
        self.maxCalls = maxCalls
    }

    /// Starts a dialog for an INVITE we are about to answer with `localTag`.
    public func open(_ invite: SIPRequest, from peer: SIPPeer, localTag: String) -> Dialog? {
        guard calls.count < maxCalls, let dialog = Dialog.asServer(request: invite, localTag: localTag) else { return nil }
        calls[dialog.id] = Call(dialog: dialog, peer: peer)
        return dialog
    }

    /// RFC 4028 for an INVITE (or a re-INVITE, which refreshes): the headers our
    /// 2xx must carry, or the 422 rejection when the interval is too brief. The
    /// caller is the refresher when it supports timers; otherwise no timer runs
    /// (we do not refresh sessions ourselves).
    public static func sessionTimer(for request: SIPRequest) -> (headers: [(String, String)], interval: Int?, tooBrief: Bool) {
        guard let value = request.headers["Session-Expires"],
              let seconds = WireNumber.deltaSeconds(SIPText.trim(value.splitOnce(";").head)) else { return ([], nil, false) }
        if seconds < minSessionExpires { return ([("Min-SE", String(minSessionExpires))], nil, true) }
        let supported = request.headers.values("Supported").map { $0.lowercased() }
        guard supported.contains("timer") else { return ([], nil, false) }
        return ([("Session-Expires", "\(seconds);refresher=uac"), ("Require", "timer")], seconds, false)
    }

    /// The session of `dialogID` runs for `seconds` from `now` unless refreshed.
    public func runSessionTimer(_ dialogID: String, seconds: Int, now: UInt64) {
        guard var call = calls[dialogID] else { return }
        // §10: send the BYE a little before expiry: min(32 s, a third of the interval).
        let margin = min(32, seconds / 3)
        call.expiresAt = WireNumber.deadline(now, plus: WireNumber.microseconds(seconds: seconds - margin))
        calls[dialogID] = call
        schedule(call.expiresAt, dialogID)
    }

    /// Our 2xx to the INVITE (or a re-INVITE) of `dialogID` went out: retransmit it until the ACK.
    public func sent2xx(_ response: SIPResponse, dialogID: String, now: UInt64) {
        guard var call = calls[dialogID] else { return }
        call.pending2xx = response
        if !call.peer.isReliable {
            call.interval = timers.t1
            call.retransmitAt = now + timers.t1
        }
        call.giveUpAt = now + timers.timeout64T1
        calls[dialogID] = call
        schedule(call.retransmitAt, dialogID)
        schedule(call.giveUpAt, dialogID)
    }

    /// Our 2xx to a re-INVITE in a dialog we created as the caller: the UAS
    /// side of that transaction retransmits it until the ACK all the same (§13.3.1.4).
    public func sent2xx(_ response: SIPResponse, in dialog: Dialog, peer: SIPPeer, now: UInt64) {
        if calls[dialog.id] == nil {
            guard calls.count < maxCalls else { return }
            var call = Call(dialog: dialog, peer: peer)
            call.confirmed = true
            call.borrowed = true
            calls[dialog.id] = call
        }
        sent2xx(response, dialogID: dialog.id, now: now)
    }

    /// The dialog an in-dialog request belongs to (found by its id: Call-ID and tags).
    public func dialog(for request: SIPRequest) -> Dialog? { call(for: request)?.dialog }

    private func call(for request: SIPRequest) -> Call? {
        Dialog.id(ofRequestToServer: request).flatMap { calls[$0] }
    }

    /// An ACK for a 2xx: stops its retransmission. Returns whether it matched a call.
    public func ack(_ request: SIPRequest) -> Bool {
        guard var call = call(for: request) else { return false }
        call.confirmed = true
        call.pending2xx = nil
        call.retransmitAt = nil
        call.giveUpAt = nil
        calls[call.dialog.id] = call.borrowed ? nil : call
        return true
    }

    /// A new request in the dialog with a higher CSeq: the peer had our 2xx,
    /// so its ACK was only lost on the way; stop retransmitting.
    public func noteRequest(_ request: SIPRequest) {
        guard var call = call(for: request), let pending = call.pending2xx,
              let sent = pending.headers.cseq,
              let now = request.headers.cseq, now.number > sent.number else { return }
        call.confirmed = true
        call.pending2xx = nil
        call.retransmitAt = nil
        call.giveUpAt = nil
        calls[call.dialog.id] = call.borrowed ? nil : call
    }

    /// Forgets a call (after BYE either way, or a failed INVITE).
    public func close(_ dialogID: String) { calls[dialogID] = nil }

    public func poll(now: UInt64) -> [Output] {
        var out: [Output] = []
        while let due = deadlines.min, due.at <= now {
            _ = deadlines.popMin()
            let id = due.dialogID
            guard var call = calls[id], call.has(deadline: due.at) else { continue }
            if let expiry = call.expiresAt, now >= expiry {
                call.expiresAt = nil
                calls[id] = call
                out.append(.sessionExpired(dialogID: id))
                continue
            }
            if let give = call.giveUpAt, now >= give {
                call.pending2xx = nil
                call.retransmitAt = nil
                call.giveUpAt = nil
                calls[id] = call
                out.append(.ackTimeout(dialogID: id))
                continue
            }
            if let at = call.retransmitAt, now >= at, let response = call.pending2xx {
                call.interval = min(call.interval * 2, timers.t2)
                call.retransmitAt = now + call.interval
                calls[id] = call
                schedule(call.retransmitAt, id)
                out.append(.send(response, to: call.peer))
            }
        }
        return out
    }

    public var nextTimeout: UInt64? {
        while let next = deadlines.min {
            if calls[next.dialogID]?.has(deadline: next.at) == true { return next.at }
            _ = deadlines.popMin()
        }
        return nil
    }

    private func schedule(_ at: UInt64?, _ dialogID: String) {
        if let at { deadlines.insert(Deadline(at: at, dialogID: dialogID)) }
    }
}
