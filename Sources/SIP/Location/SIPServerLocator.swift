#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where the requests for the SIP server go (RFC 3263 §4), as a sans-IO core:
/// a server given by address is where they go; a name with a port is looked up
/// for its addresses (A, or AAAA for an IPv6 socket); a name without a port
/// for its SRV records first (`_sip._udp.NAME`, `_sip._tcp.NAME`,
/// `_sips._tcp.NAME`), then the addresses of each target, in RFC 2782 order;
/// with no SRV records, the name's own addresses on the transport's default
/// port. A target that timed out or answered 503 is passed over for
/// `blockSeconds` (§4.3, as Kamailio's blocklist does); the name is looked up
/// again when the shortest TTL runs out, and the targets found last are kept
/// while DNS does not answer. The caller runs the queries `poll` hands out and
/// brings back their answers; times in microseconds.
public struct SIPServerLocator: Sendable {
    public struct Settings: Sendable {
        /// The server as configured: its transport, name or address, and port.
        public var server: SIPPeer
        /// Whether the configuration named the port (then there is no SRV lookup, §4.2).
        public var portGiven: Bool
        /// The addresses the SIP socket can send to: A for IPv4, AAAA for IPv6.
        public var family: DNSQuery.Kind
        public var blockSeconds: UInt64 = 60
        /// When nothing was found, or DNS did not answer, the next try.
        public var retrySeconds: UInt64 = 30
        /// TTLs are held within these bounds: not every second, and not for ever.
        public var ttlBounds: ClosedRange<UInt32> = 5...86_400

        public init(server: SIPPeer, portGiven: Bool, family: DNSQuery.Kind) {
            self.server = server
            self.portGiven = portGiven
            self.family = family
        }
    }

    public let settings: Settings
    /// Where requests may go, most preferred first.
    public private(set) var targets: [SIPPeer]
    /// Every address the name resolved to (bounded): SIP from them is the server's.
    public private(set) var knownAddresses: Set<String> = []
    private var blockedUntil: [SIPPeer: UInt64] = [:]
    private var lookupAt: UInt64?
    private var pending: Set<DNSQuery> = []
    private var queued: [DNSQuery] = []
    private var round = Round()
    private let pick: @Sendable (UInt32) -> UInt32
    static let maxKnownAddresses = 64

    /// What one lookup found so far.
    private struct Round {
        var services: [SRVOrder.Service]?
        var addresses: [String: [String]] = [:]
        var shortestTTL: UInt32?
        var failed = false
    }

    /// `pick(n)`: a random number in 0...n, for the order among SRV targets of equal priority.
    public init(_ settings: Settings, now: UInt64, pick: @escaping @Sendable (UInt32) -> UInt32 = { UInt32.random(in: 0...$0) }) {
        self.settings = settings
        self.pick = pick
        if Self.isAddress(settings.server.host) {
            targets = [settings.server]
            knownAddresses = [settings.server.host]
        } else {
            targets = []
            lookupAt = now
        }
    }

    /// The target for a request now: the first not passed over; when all are, the one passed over longest ago.
    public func target(now: UInt64) -> SIPPeer? {
        targets.first { (blockedUntil[$0] ?? 0) <= now } ?? targets.min { blockedUntil[$0, default: 0] < blockedUntil[$1, default: 0] }
    }

    /// A target not passed over now, for a request to try again elsewhere; nil when every one is.
    public func unblockedTarget(now: UInt64) -> SIPPeer? { targets.first { (blockedUntil[$0] ?? 0) <= now } }

    /// Whether a lookup is under way (the first one decides where the first requests go).
    public var isLooking: Bool { !pending.isEmpty || !queued.isEmpty }

    public var nextTimeout: UInt64? { isLooking ? nil : lookupAt }

    /// The queries to run now: a new lookup when the last one's TTL has run out, or the next step of one under way.
    public mutating func poll(now: UInt64) -> [DNSQuery] {
        if let at = lookupAt, at <= now, !isLooking {
            lookupAt = nil
            round = Round()
            if settings.portGiven {
                queued = [DNSQuery(settings.server.host, settings.family)]
            } else {
                queued = [DNSQuery(serviceName, .srv)]
            }
        }
        let out = queued
        pending.formUnion(queued)
        queued = []
        return out
    }

    /// A query's answer.
    public mutating func answered(_ query: DNSQuery, _ answer: DNSAnswer, now: UInt64) {
        guard pending.remove(query) != nil else { return }
        let records: [DNSRecord]
        switch answer {
        case .records(let found): records = found
        case .failed: records = []; round.failed = true
        }
        if let ttl = records.map(\.ttl).min() { round.shortestTTL = min(round.shortestTTL ?? ttl, ttl) }
        switch query.kind {
        case .srv:
            let services: [SRVOrder.Service] = records.compactMap {
                guard case .service(let priority, let weight, let port, let target) = $0.data else { return nil }
                return SRVOrder.Service(priority: priority, weight: weight, port: port, target: target)
            }
            if services.isEmpty {
                queued.append(DNSQuery(settings.server.host, settings.family))
            } else {
                // A lone "." target says the service is not offered there (RFC 2782).
                let offered = services.filter { $0.target != "." && !$0.target.isEmpty }
                round.services = offered
                for name in Set(offered.map(\.target)).sorted() { queued.append(DNSQuery(name, settings.family)) }
            }
        case .a, .aaaa:
            round.addresses[query.name] = records.compactMap {
                guard case .address(let address) = $0.data else { return nil }
                return address
            }
        }
        if !isLooking { finish(now: now) }
    }

    /// A request to `target` timed out, or the target answered 503: the next one is tried first for a while.
    public mutating func failed(_ target: SIPPeer, now: UInt64) {
        guard targets.contains(target) else { return }
        blockedUntil[target] = now + settings.blockSeconds * 1_000_000
    }

    private mutating func finish(now: UInt64) {
        var found: [SIPPeer] = []
        if let services = round.services {
            for service in SRVOrder.order(services, pick: pick) {
                for address in round.addresses[service.target] ?? [] {
                    found.append(SIPPeer(settings.server.transport, host: address, port: service.port))
                }
            }
        } else {
            let port = settings.portGiven ? settings.server.port : (settings.server.transport == .tls ? 5061 : 5060)
            found = (round.addresses[settings.server.host] ?? []).map { SIPPeer(settings.server.transport, host: $0, port: port) }
        }
        var unique: [SIPPeer] = []
        for peer in found where !unique.contains(peer) { unique.append(peer) }
        if unique.isEmpty {
            // Nothing found (or DNS did not answer): the targets found before stay.
            lookupAt = now + settings.retrySeconds * 1_000_000
            return
        }
        targets = unique
        blockedUntil = blockedUntil.filter { unique.contains($0.key) }
        for peer in unique where knownAddresses.count < Self.maxKnownAddresses { knownAddresses.insert(peer.host) }
        let ttl = min(max(round.shortestTTL ?? settings.ttlBounds.lowerBound, settings.ttlBounds.lowerBound), settings.ttlBounds.upperBound)
        lookupAt = now + UInt64(round.failed ? min(ttl, UInt32(clamping: settings.retrySeconds)) : ttl) * 1_000_000
    }

    /// Whether `host` is an IPv4 or IPv6 address rather than a name.
    static func isAddress(_ host: String) -> Bool {
        var buffer = (UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { raw in
            inet_pton(AF_INET, host, raw.baseAddress) == 1 || inet_pton(AF_INET6, host, raw.baseAddress) == 1
        }
    }

    /// `_sip._udp.NAME`, `_sip._tcp.NAME` or `_sips._tcp.NAME` (RFC 3263 §4.2).
    private var serviceName: String {
        switch settings.server.transport {
        case .udp: "_sip._udp.\(settings.server.host)"
        case .tcp: "_sip._tcp.\(settings.server.host)"
        case .tls: "_sips._tcp.\(settings.server.host)"
        }
    }
}
