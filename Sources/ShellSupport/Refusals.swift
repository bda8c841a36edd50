import NIOConcurrencyHelpers

/// What the gateway refused at one of its limits, counted per reason for
/// `/status` (e.g. "too-many-sessions", "sip-untrusted-source",
/// "sip-overload"). Shared by every event loop; counted only on refusal, never
/// per packet of a call.
public final class Refusals: Sendable {
    private let counts = NIOLockedValueBox<[String: Int]>([:])

    public init() {}

    public func count(_ reason: String) {
        counts.withLockedValue { $0[reason, default: 0] += 1 }
    }

    public var snapshot: [String: Int] { counts.withLockedValue { $0 } }
}
