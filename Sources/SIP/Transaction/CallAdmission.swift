/// Overload control for new calls (a token bucket on the fake-clock `now`):
/// out-of-dialog INVITEs beyond `perSecond` (bursts up to one second's worth)
/// are refused with 503 and Retry-After instead of being taken on, so that a
/// flood costs a stateless answer each and the calls already up, OPTIONS,
/// BYE and CANCEL keep being served (RFC 3261 §21.5.4; RFC 7339 in spirit).
public struct CallAdmission: Sendable {
    public let perSecond: Int
    /// Seconds a refused caller is asked to wait.
    public let retryAfter: Int
    /// Tokens in millionths, so that refilling needs no division per call.
    private var tokens: UInt64
    private var refilledAt: UInt64?

    public init(perSecond: Int, retryAfter: Int = 5) {
        self.perSecond = max(1, perSecond)
        self.retryAfter = retryAfter
        tokens = UInt64(self.perSecond) * 1_000_000
    }

    /// Takes a token for one new call at `now` (microseconds); false when none is left.
    public mutating func admit(now: UInt64) -> Bool {
        let capacity = UInt64(perSecond) * 1_000_000
        if let last = refilledAt, now > last {
            let (gained, overflow) = (now - last).multipliedReportingOverflow(by: UInt64(perSecond))
            tokens = overflow ? capacity : min(capacity, tokens + min(gained, capacity))
        }
        refilledAt = now
        guard tokens >= 1_000_000 else { return false }
        tokens -= 1_000_000
        return true
    }
}
