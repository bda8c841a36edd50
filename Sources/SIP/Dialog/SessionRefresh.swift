import WireInput

/// RFC 4028 session timers on a call we place, as a sans-IO core: our INVITE
/// asks for them; the 2xx says who refreshes. When it is us (refresher=uac)
/// we refresh at half the interval; when it is the far end, its re-INVITE or
/// UPDATE must come before the interval runs out (less a margin), or the
/// call is over (§10).
public struct SessionRefresh: Sendable {
    public static let requested = 1800
    public static let minimum = 90

    public private(set) var interval: Int?
    public private(set) var weRefresh = false
    public private(set) var refreshAt: UInt64?
    public private(set) var expiresAt: UInt64?

    public enum Due: Equatable, Sendable { case refresh, expired }

    public init() {}

    /// What our INVITE says (§7.1).
    public static func requestHeaders(interval: Int) -> [(String, String)] {
        [("Supported", "timer"), ("Session-Expires", String(interval)), ("Min-SE", String(minimum))]
    }

    /// The 2xx that established the call: timers run when it carries Session-Expires.
    public mutating func established(_ response: SIPResponse, now: UInt64) {
        guard let value = response.headers["Session-Expires"],
              let seconds = WireNumber.deltaSeconds(SIPText.trim(value.splitOnce(";").head)), seconds >= Self.minimum
        else { return }
        interval = seconds
        weRefresh = value.split(separator: ";").dropFirst().contains {
            $0.lowercased().filter { $0 != " " && $0 != "\t" } == "refresher=uac"
        }
        refreshed(now: now)
    }

    /// A refresh went through: ours was answered 2xx, or the far end's arrived.
    public mutating func refreshed(now: UInt64) {
        guard let interval else { return }
        // interval is at least `minimum` and at most 2^32-1 s (WireNumber.deltaSeconds)
        if weRefresh {
            refreshAt = WireNumber.deadline(now, plus: WireNumber.microseconds(seconds: interval / 2))
        }
        expiresAt = WireNumber.deadline(now, plus: WireNumber.microseconds(seconds: interval - min(32, interval / 3)))
    }

    /// What is due at `now`; a refresh is reported once (until `refreshed`).
    public mutating func due(now: UInt64) -> Due? {
        if let at = expiresAt, now >= at {
            expiresAt = nil
            refreshAt = nil
            return .expired
        }
        if let at = refreshAt, now >= at {
            refreshAt = nil
            return .refresh
        }
        return nil
    }

    public var nextTimeout: UInt64? { [refreshAt, expiresAt].compactMap { $0 }.min() }
}
