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

    /// An even port and the odd one above it, both free (RTP and RTCP for a
    /// peer without rtcp-mux, RFC 3550 §11), or nil when no such pair is left.
    public func acquirePair() -> UInt16? {
        state.withLockedValue { s in
            let free = Set(s.free)
            let count = s.free.count
            for step in 0..<count {
                let i = (s.next + step) % count
                let p = s.free[i]
                guard p % 2 == 0, p < UInt16.max, free.contains(p + 1) else { continue }
                s.next = i
                s.free.removeAll { $0 == p || $0 == p + 1 }
                return p
            }
            return nil
        }
    }

    public var freeCount: Int { state.withLockedValue { $0.free.count } }

    public func release(_ port: UInt16) {
        state.withLockedValue { s in
            if range.contains(port) && !s.free.contains(port) { s.free.append(port) }
        }
    }
}
