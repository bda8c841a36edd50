/// The SIP server's side of sending (RFC 3263 §4.3), as a sans-IO core:
/// where a message for the server goes now, and what becomes of a request
/// whose target failed (timed out, answered 503, or could not be connected
/// to). The target is passed over for a while (when there is another); a
/// request other than INVITE goes again, in a new transaction, to the next
/// target not passed over, and its answer reaches the transaction user under
/// the first attempt's key. An INVITE is not sent again: its caller has
/// waited the 32 s of timer B already; the next call goes to the next target.
public struct ServerFailover: Sendable {
    public var locator: SIPServerLocator
    /// Requests other than INVITE sent to one of the server's targets, by transaction (bounded).
    private var sent: [TransactionKey: (request: SIPRequest, target: SIPPeer)] = [:]
    /// A retry's transaction → the transaction the user knows.
    private var firstKeys: [TransactionKey: TransactionKey] = [:]
    static let maxSent = 10_000

    public enum Outcome: Equatable, Sendable {
        /// Hand the result to the transaction user under this key.
        case deliver(TransactionKey)
        /// Send this request to the server instead (its new branch makes a new transaction); the result waits for it.
        case retry(SIPRequest)
    }

    /// A target passed over, and the one requests go to now (for the log).
    public struct Failure: Equatable, Sendable {
        public var target: SIPPeer
        public var next: SIPPeer?

        public init(target: SIPPeer, next: SIPPeer?) {
            self.target = target
            self.next = next
        }
    }

    public init(locator: SIPServerLocator) { self.locator = locator }

    public var server: SIPPeer { locator.settings.server }

    /// Where a message for `peer` goes now: for the server, its current target (nil while none is
    /// known); for anyone else, `peer` itself.
    public func destination(_ peer: SIPPeer, now: UInt64) -> SIPPeer? {
        peer == server ? locator.target(now: now) : peer
    }

    /// A client transaction started: `request` (as the user made it) for `peer` went to `target`.
    public mutating func started(_ key: TransactionKey, _ request: SIPRequest, for peer: SIPPeer, target: SIPPeer) {
        guard peer == server, ![.invite, .ack, .cancel].contains(request.method), sent.count < Self.maxSent else { return }
        sent[key] = (request, target)
    }

    /// A response in a client transaction. `branch`: a fresh token, for a retry's Via.
    public mutating func response(_ status: SIPStatus, key: TransactionKey, now: UInt64, branch: String) -> (Outcome, Failure?) {
        guard status.code >= 200 else { return (.deliver(firstKeys[key] ?? key), nil) }
        guard let (request, target) = sent.removeValue(forKey: key), status == .serviceUnavailable else {
            return (.deliver(firstKeys.removeValue(forKey: key) ?? key), nil)
        }
        return failed(key, request, at: target, now: now, branch: branch)
    }

    /// A client transaction got no answer from `peer` (timer B or F). `branch`: a fresh token, for a retry's Via.
    public mutating func timedOut(_ key: TransactionKey, at peer: SIPPeer, now: UInt64, branch: String) -> (Outcome, Failure?) {
        guard let (request, target) = sent.removeValue(forKey: key) else {
            let failure = pass(over: peer, now: now)
            return (.deliver(firstKeys.removeValue(forKey: key) ?? key), failure)
        }
        return failed(key, request, at: target, now: now, branch: branch)
    }

    /// A connection to `target` could not be opened (its requests are answered 503 by the transaction layer).
    public mutating func unreachable(_ target: SIPPeer, now: UInt64) -> Failure? { pass(over: target, now: now) }

    private mutating func failed(_ key: TransactionKey, _ request: SIPRequest, at target: SIPPeer, now: UInt64,
                                 branch: String) -> (Outcome, Failure?) {
        let failure = pass(over: target, now: now)
        let first = firstKeys.removeValue(forKey: key) ?? key
        guard let next = locator.unblockedTarget(now: now), next != target, let retry = Self.withBranch(request, branch) else {
            return (.deliver(first), failure)
        }
        firstKeys[.client(branch: Via.magicCookie + branch, method: request.method)] = first
        return (.retry(retry), failure)
    }

    /// Passes over `target` for a while, when it is one of several.
    private mutating func pass(over target: SIPPeer, now: UInt64) -> Failure? {
        guard locator.targets.count > 1, locator.targets.contains(target) else { return nil }
        locator.failed(target, now: now)
        return Failure(target: target, next: locator.target(now: now))
    }

    /// `request` with a new branch in its top Via: a new transaction.
    static func withBranch(_ request: SIPRequest, _ branch: String) -> SIPRequest? {
        guard var via = request.headers.topVia else { return nil }
        via.parameters.removeAll { $0.name.lowercased() == "branch" }
        via.parameters.insert(SIPParameter(name: "branch", value: Via.magicCookie + branch), at: 0)
        var out = request
        out.headers.replaceTopVia(with: via.description)
        return out
    }
}
