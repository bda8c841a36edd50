import WireInput

/// Wrong passwords per user and source address: after `maxFailures` in a
/// row, sign-ins of that user from that address wait, a minute and twice as
/// long for each lockout after (password guessing through the gateway),
/// while the user signs in from elsewhere as usual: a stranger cannot lock
/// anyone out but themselves.
public struct SignInLockout: Sendable {
    public static let maxFailures = 5
    /// The first lockout, in microseconds.
    public static let firstWait: UInt64 = 60_000_000
    /// Pairs remembered at most; beyond, those not locked out are forgotten.
    public static let maxPairs = 10_000

    private struct Record: Sendable {
        var failures = 0
        var lockouts = 0
        var lockedUntil: UInt64 = 0
    }
    private var records: [String: Record] = [:]

    public init() {}

    public func isLocked(user: String, source: String, now: UInt64) -> Bool {
        (records[Self.key(user, source)]?.lockedUntil ?? 0) > now
    }

    /// Notes one wrong password; returns how long the pair is now locked out (µs), if this locked it.
    public mutating func noteWrongPassword(user: String, source: String, now: UInt64) -> UInt64? {
        if records.count >= Self.maxPairs { records = records.filter { $0.value.lockedUntil > now } }
        var record = records[Self.key(user, source)] ?? Record()
        record.failures += 1
        var wait: UInt64?
        if record.failures >= Self.maxFailures {
            // A minute, then twice as long after each lockout, up to 1,024 minutes.
            let locked = Self.firstWait << UInt64(min(record.lockouts, 10))
            record = Record(failures: 0, lockouts: record.lockouts + 1, lockedUntil: WireNumber.deadline(now, plus: locked))
            wait = locked
        }
        records[Self.key(user, source)] = record
        return wait
    }

    /// A right password: the pair starts afresh.
    public mutating func succeeded(user: String, source: String) {
        records[Self.key(user, source)] = nil
    }

    private static func key(_ user: String, _ source: String) -> String { user + " " + source }
}
