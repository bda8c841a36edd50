import Logging
import NIOCore
import ShellSupport
import SIP

/// One SIP endpoint on several event loops: a shard per loop, each with its
/// own core (transactions, the role's dialogs) and timer, all on one port.
/// The first shard owns the sockets: it reads every UDP datagram and hands it
/// to the shard its Call-ID hashes to (`CallIDShard`), so all of a call's
/// messages meet the state they belong to; each shard sends on its own
/// duplicate of the UDP socket. TCP and TLS connections, and the messages
/// that come over them, stay with the first shard. What the shards share
/// must be safe to share (the embedded server's `Registrar`, the settings'
/// port pool and refusal counts). For an endpoint without a SIP server (the
/// embedded server's): DNS and failover are the first shard's alone.
extension SIPService {
    /// `loops.count` services, the first owning the sockets; start the first.
    /// A new-call rate limit is split evenly between them.
    public static func sharded(settings: Settings, loops: [EventLoop], logger: Logger, registrar: Registrar?) -> [SIPService] {
        var each = settings
        each.maxCallRate = max(1, (settings.maxCallRate + loops.count - 1) / max(loops.count, 1))
        let services = loops.map { SIPService(settings: each, loop: $0, logger: logger, registrar: registrar) }
        guard let first = services.first, services.count > 1 else { return services }
        first.shards = services
        first.handOvers = Array(repeating: [], count: services.count)
        for shard in services.dropFirst() { shard.primary = first }
        return services
    }

    /// A datagram the first shard read: handled here, or kept for the shard its Call-ID belongs to
    /// until the end of this read cycle (`handOver`), so a loop is woken once per cycle, not per datagram.
    func route(_ bytes: [UInt8], from source: SIPPeer) {
        let index = CallIDShard.of(bytes, among: shards.count)
        guard index > 0, index < shards.count, index < handOvers.count else { return received(bytes, from: source) }
        handOvers[index].append((bytes, source))
    }

    /// The datagrams of this read cycle to the other shards.
    func handOver() {
        for index in handOvers.indices where !handOvers[index].isEmpty && index < shards.count {
            let (shard, datagrams) = (shards[index], handOvers[index])
            handOvers[index] = [] // the closure holds the batch: no storage to keep
            shard.loop.execute {
                for (bytes, source) in datagrams { shard.core.receive(datagram: bytes, from: source, now: Self.now()) }
                shard.afterWork()
            }
        }
    }

    /// The other shards take up work on the first shard's port, each with a sender of its own.
    func startShards(port: Int, channel: Channel) -> EventLoopFuture<Void> {
        let started = shards.dropFirst().map { shard -> EventLoopFuture<Void> in
            guard let sender = socket?.sender(for: shard.loop, closingWith: channel) else {
                return loop.makeFailedFuture(ShardError.noDescriptor)
            }
            return shard.loop.submit {
                shard.socket = sender
                shard.begin(port: port)
            }
        }
        return EventLoopFuture.andAllSucceed(started, on: loop)
    }

    enum ShardError: Error { case noDescriptor }

    /// Every shard's role learns the TLS listener's port.
    func tlsListening(port: Int) {
        role?.tlsListening(port: UInt16(clamping: port))
        for shard in shards.dropFirst() {
            shard.loop.execute { shard.role?.tlsListening(port: UInt16(clamping: port)) }
        }
    }
}
