import NIOConcurrencyHelpers

/// The UDP ports media may use (`--rtp-ports`), handed out one per call leg.
public final class MediaPortPool: Sendable {
    private let state: NIOLockedValueBox<(free: [UInt16], next: Int)>
    public let range: ClosedRange<UInt16>

    public init(range: ClosedRange<UInt16>) {
        self.range = range
        state = NIOLockedValueBox((Array(range), 0))
    }

    /// A free port, or nil when all are in use.
    public func acquire() -> UInt16? {
        state.withLockedValue { s in
            guard !s.free.isEmpty else { return nil }
            // Round robin, so a port just released is not reused at once (late packets of the old call).
            let i = s.next % s.free.count
            s.next = i
            return s.free.remove(at: i)
        }
    }

    public var freeCount: Int { state.withLockedValue { $0.free.count } }

    public func release(_ port: UInt16) {
        state.withLockedValue { s in
            if range.contains(port) && !s.free.contains(port) { s.free.append(port) }
        }
    }
}
