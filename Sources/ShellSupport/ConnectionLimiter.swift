import NIOConcurrencyHelpers
import NIOCore

/// Bounds the connections a listener accepts, in all and per source address
/// (but for `unboundedSources`: load balancers that carry many clients): one
/// that would pass a bound is closed at once and counted as a refusal.
/// Shared by the listener's event loops; consulted once per connection.
public final class ConnectionLimiter: Sendable {
    public let total: Int
    public let perSource: Int
    private let reason: String
    private let refusals: Refusals
    private let unboundedSources: Set<String>
    private let counts = NIOLockedValueBox<(total: Int, bySource: [String: Int])>((0, [:]))

    public init(total: Int, perSource: Int, reason: String, refusals: Refusals, unboundedSources: Set<String> = []) {
        self.total = total
        self.perSource = perSource
        self.unboundedSources = unboundedSources
        self.reason = reason
        self.refusals = refusals
    }

    /// Whether `channel` (just accepted) may stay; it is counted until it closes.
    public func admit(_ channel: Channel) -> Bool {
        let source = channel.remoteAddress?.ipAddress ?? "?"
        let admitted = counts.withLockedValue { c -> Bool in
            guard c.total < total, c.bySource[source, default: 0] < perSource || unboundedSources.contains(source) else {
                return false
            }
            c.total += 1
            c.bySource[source, default: 0] += 1
            return true
        }
        guard admitted else {
            refusals.count(reason)
            return false
        }
        channel.closeFuture.whenComplete { _ in
            self.counts.withLockedValue { c in
                c.total -= 1
                let left = c.bySource[source, default: 1] - 1
                c.bySource[source] = left > 0 ? left : nil
            }
        }
        return true
    }
}

/// Closes a connection on which nothing was read for the IdleStateHandler's
/// time (put right after it in the pipeline), and one whose client closed its
/// side: a browser abandons a request (a long-poll client its /wait at its own
/// timeout) by closing the connection, and an answer parked for it must fail
/// to be written, not go into a socket no one reads.
public final class ConnectionReaper: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny

    public init() {}

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent || event as? ChannelEvent == .inputClosed {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
