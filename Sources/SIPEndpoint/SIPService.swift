import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ShellSupport
import SIP

/// The NIO shell of a SIP endpoint: one UDP socket (and TCP, TLS), the
/// transaction layer, the request checks and answers of the endpoint core,
/// the dialogs whose 2xx it retransmits, all on one event loop with one
/// timer. What the endpoint is for is its `role`'s: the gateway's user agent
/// (`UserAgent`), or the embedded SIP server (`EmbeddedServer`).
public final class SIPService: @unchecked Sendable {
    public let settings: Settings
    public let loop: EventLoop
    public let logger: Logger
    private var channel: Channel?
    private var tcpListener: Channel?
    private var tlsListener: Channel?
    /// Open TCP connections by remote "host:port", reused both ways (RFC 3261 §18).
    var tcpConnections: [String: Channel] = [:]
    /// Requests waiting for a connection being opened, by peer: one connection each, not one per request.
    var connecting: [String: [SIPRequest]] = [:]
    /// Connections we opened (to the SIP server, to phones reached over TCP):
    /// bounded apart from the ones strangers open to us, which cannot crowd them out.
    var outboundConnections = 0
    static let maxOutboundConnections = 1024
    /// Connections accepted, in all and per source address.
    let inboundLimiter: ConnectionLimiter
    public let transactions: TransactionLayer
    public let endpoint: EndpointCore
    /// Dialogs we answered: their 2xx retransmitted until ACKed, their session timers.
    public let calls = InviteServerCore()
    /// What the endpoint is for; set before `start`.
    public weak var role: SIPRole?
    /// Told of every message taken from a trusted source and every message written, with the
    /// peer and whether it was received (metrics, traces). On the service's loop.
    public var observer: ((SIPMessage, SIPPeer, _ received: Bool) -> Void)?
    private var timer: Scheduled<Void>?
    /// Where requests for the SIP server go (its DNS name's targets), and their failover.
    var failover: ServerFailover?
    var firstLookup: EventLoopPromise<Void>?

    /// `registrar`: the embedded server's; the user agent has none.
    public init(settings: Settings, loop: EventLoop, logger: Logger, registrar: Registrar? = nil) {
        self.settings = settings
        self.loop = loop
        self.logger = logger
        transactions = TransactionLayer(callAdmission: CallAdmission(perSecond: settings.maxCallRate))
        inboundLimiter = ConnectionLimiter(total: 1024, perSource: 64, reason: "sip-connections", refusals: settings.refusals)
        endpoint = EndpointCore(registrar: registrar, makeTag: { Random.token(10) })
        failover = settings.server.map {
            ServerFailover(locator: SIPServerLocator(.init(server: $0, portGiven: settings.serverPortGiven,
                                                           family: settings.listenHost.contains(":") ? .aaaa : .a), now: Self.now()))
        }
    }

    public static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds / 1000 }

    public func start() -> EventLoopFuture<Void> {
        bindUDPAndTCP(attempts: settings.listenPort == 0 ? 20 : 1).flatMap { channel, listener in
            self.channel = channel
            self.tcpListener = listener
            return self.locateFirst().map { (channel, listener) }
        }.map { channel, _ in
            let port = channel.localAddress?.port ?? self.settings.listenPort
            let upstream = self.settings.server.map { "server \($0)" } ?? "embedded registrar"
            self.logger.info("SIP listening on udp and tcp \(self.settings.listenHost):\(port), \(upstream)")
            self.role?.started(port: UInt16(port))
            self.afterWork()
            self.startTLSListener()
        }
    }

    /// UDP and TCP on the same port. Asked for port 0, the port UDP got may be
    /// taken for TCP: then both are let go and another is tried.
    private func bindUDPAndTCP(attempts: Int) -> EventLoopFuture<(Channel, Channel)> {
        DatagramBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            // Room for a burst while the loop sheds load (the kernel caps it at net.core.rmem_max).
            .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SIPDatagramHandler(service: self))
                }
            }
            .bind(host: settings.listenHost, port: settings.listenPort)
            .flatMap { udp in
                ServerBootstrap(group: self.loop)
                    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                    .childChannelInitializer { self.accept($0, transport: .tcp, tls: nil) }
                    .bind(host: self.settings.listenHost, port: udp.localAddress?.port ?? self.settings.listenPort)
                    .map { (udp, $0) }
                    .flatMapError { error in
                        udp.close().flatMap {
                            attempts > 1 ? self.bindUDPAndTCP(attempts: attempts - 1) : self.loop.makeFailedFuture(error)
                        }
                    }
            }
    }

    public var boundPort: Int? { channel?.localAddress?.port }

    /// Dialogs answered and not ended (for the status route).
    public var dialogCount: Int { calls.calls.count }

    /// A connection a peer opened to us: within the bounds, closed when idle.
    private func accept(_ channel: Channel, transport: SIPPeer.Transport, tls: NIOSSLContext?) -> EventLoopFuture<Void> {
        guard inboundLimiter.admit(channel) else { return channel.close() }
        return channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
            try pipeline.addHandler(IdleStateHandler(readTimeout: .seconds(Int64(settings.streamIdleSeconds))))
            try pipeline.addHandler(ConnectionReaper())
            try pipeline.addHandler(SIPStreamHandler(service: self, transport: transport))
        }
    }

    /// SIP over TLS from peers that connect to us (RFC 3261 §26.3.1): the
    /// connection, once up, is reused both ways like the ones we open.
    private func startTLSListener() {
        guard let (port, context) = settings.tlsListen else { return }
        ServerBootstrap(group: loop)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { self.accept($0, transport: .tls, tls: context) }
            .bind(host: settings.listenHost, port: port)
            .whenComplete { result in
                switch result {
                case .success(let listener):
                    self.tlsListener = listener
                    if let bound = listener.localAddress?.port { self.role?.tlsListening(port: UInt16(bound)) }
                    self.logger.info("SIP listening on tls \(self.settings.listenHost):\(listener.localAddress?.port ?? port)")
                case .failure(let error):
                    self.logger.error("cannot listen for SIP over TLS on port \(port): \(error)")
                }
            }
    }
    // MARK: input

    /// A UDP datagram.
    func received(_ bytes: [UInt8], from source: SIPPeer) {
        guard isTrusted(source) else { return }
        if bytes.allSatisfy({ $0 == 13 || $0 == 10 }) { return } // keep-alive
        do {
            deliver(try SIPParser.parse(bytes, framing: .datagram).message, from: source)
        } catch {
            refuse(bytes, error, from: source)
        }
    }

    /// SIP from other addresses than the configured ones is not answered: a
    /// stranger learns nothing (who is signed in), and nothing is reflected.
    private func isTrusted(_ source: SIPPeer) -> Bool {
        guard let trusted = settings.trustedSources, !trusted.contains(source.host), !isServerAddress(source.host) else { return true }
        settings.refusals.count("sip-untrusted-source")
        return false
    }

    /// A request we cannot parse still gets its 400 (or 505) when there is a Via to answer.
    func refuse(_ bytes: [UInt8], _ error: SIPParseError, from source: SIPPeer) {
        if let reply = StatelessReply.forUnparsable(bytes, error: error, from: source) { writeDirect(reply, to: source) }
        logger.notice("unparsable SIP from \(source): \(error.reason)")
    }

    /// A parsed message from either transport.
    func deliver(_ message: SIPMessage, from source: SIPPeer) {
        guard isTrusted(source) else { return }
        observer?(message, source, true)
        let now = Self.now()
        var incoming = message
        if case .request(var r) = message {
            guard let top = r.headers.values("Via").first, (try? Via(parsing: top)) != nil else {
                // Without a readable Via there is no transaction: answer 400 to where it came from.
                if let reply = StatelessReply.badVia(r, from: source) { writeDirect(reply, to: source) }
                afterWork()
                return
            }
            Self.markReceived(&r, from: source)
            incoming = .request(r)
            // The checks come first: a role screens only what the endpoint would take.
            if endpoint.validator.validate(r) == nil, role?.screen(r, from: source, now: now) == true {
                afterWork()
                return
            }
        } else if case .response(let response) = message, role?.screen(response) == true {
            return
        }
        handle(transactions.receive(incoming, from: source, now: now), now: now)
        afterWork()
    }

    /// RFC 3261 §18.2.1 and RFC 3581: note where a request really came from.
    static func markReceived(_ r: inout SIPRequest, from source: SIPPeer) {
        guard let top = r.headers.values("Via").first, var via = try? Via(parsing: top) else { return }
        if via.host != source.host { via.parameters.removeAll { $0.name == "received" }; via.parameters.append(SIPParameter(name: "received", value: source.host)) }
        if let i = via.parameters.firstIndex(where: { $0.name.lowercased() == "rport" }), via.parameters[i].value == nil {
            via.parameters[i].value = String(source.port)
            if !via.parameters.has("received") { via.parameters.append(SIPParameter(name: "received", value: source.host)) }
        }
        r.headers.replaceTopVia(with: via.description)
    }

    public func handle(_ outputs: [TransactionLayer.Output], now: UInt64) {
        for output in outputs {
            switch output {
            case .send(let message, let peer):
                write(message, to: peer)
            case .request(let request, let from, let key):
                if endpoint.validator.validate(request) == nil, role?.request(request, key: key, from: from, now: now) == true {
                    continue
                }
                if let response = endpoint.answer(request, from: from, now: now) {
                    handle(transactions.respond(key, response, now: now), now: now)
                }
            case .response(let response, let key):
                if let key = afterAnswer(response.status, key: key, now: now) { role?.response(response, key: key, now: now) }
            case .timeout(let key, let peer):
                if let key = afterTimeout(key, at: peer, now: now) { role?.timeout(key, now: now) }
            case .stray(.request(let ack), _) where ack.method == .ack:
                if calls.ack(ack) { role?.acknowledged(ack) }
            case .stray(.response(let response), _):
                role?.strayResponse(response, now: now)
            case .refused(let reason):
                settings.refusals.count(reason)
            case .stray:
                break
            }
        }
    }

    public func respond(_ key: TransactionKey, _ response: SIPResponse, now: UInt64) {
        handle(transactions.respond(key, response, now: now), now: now)
    }

    public var contactURI: SIPURI { SIPURI(host: settings.advertisedHost, port: UInt16(boundPort ?? settings.listenPort)) }

    // MARK: output and timers

    public func write(_ message: SIPMessage, to peer: SIPPeer) {
        // Over UDP a response goes where its Via says (RFC 3581 received/rport); over TCP back
        // on the connection its request came on (§18.2.2).
        if peer.transport == .udp, case .response(let r) = message {
            guard let via = StatelessReply.responseDestination(r) else { return }
            return writeDirect(message, to: SIPPeer(.udp, host: via.host, port: via.port))
        }
        writeDirect(message, to: peer)
    }

    /// A new client transaction for `request`, over TCP when it is too large for UDP (§18.1.1);
    /// a CANCEL the way of the INVITE it cancels.
    public func startTransaction(_ request: SIPRequest, to peer: SIPPeer, cancelling invite: SIPRequest? = nil)
        -> (TransactionKey, [TransactionLayer.Output]) {
        let now = Self.now()
        // A CANCEL goes where its INVITE went, whichever target the server's name leads to now.
        let inviteKey = invite.flatMap { $0.headers.values("Via").first }.flatMap { try? Via(parsing: $0) }
            .map { TransactionKey.client(branch: $0.branch ?? "", method: .invite) }
        let inviteTarget = inviteKey.flatMap { transactions.peer(of: $0) }.map { SIPPeer(peer.transport, host: $0.host, port: $0.port) }
        guard let target = inviteTarget ?? hop(peer) else {
            let (key, _) = transactions.send(request, to: peer, now: now)
            return (key, transactions.transportFailed(request, now: now))
        }
        let (fitted, next) = TransportChoice.fitting(request, to: target, cancelling: invite)
        let (key, outputs) = transactions.send(fitted, to: next, udpFallback: next == target ? nil : (request, target), now: now)
        failover?.started(key, request, for: peer, target: target)
        return (key, outputs)
    }

    /// A double CRLF to `peer` (RFC 5626 §4.4.1): over UDP from our port, over TCP or TLS on its open connection.
    public func ping(_ server: SIPPeer) {
        guard let peer = hop(server) else { return }
        let ping: [UInt8] = [13, 10, 13, 10]
        if peer.transport == .udp {
            guard let channel, let address = try? SocketAddress(ipAddress: peer.host, port: Int(peer.port)) else { return }
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: channel.allocator.buffer(bytes: ping)),
                                  promise: nil)
        } else if let connection = tcpConnections[Self.key(peer)] {
            connection.writeAndFlush(connection.allocator.buffer(bytes: ping), promise: nil)
        }
    }

    /// A request outside the transaction layer (the ACK of a 2xx).
    public func writeRequest(_ request: SIPRequest, to peer: SIPPeer) { write(.request(request), to: peer) }

    /// Sends to `peer` itself, whatever the message's Via says (stateless replies).
    private func writeDirect(_ message: SIPMessage, to destination: SIPPeer) {
        guard let peer = hop(destination) else { return }
        observer?(message, peer, false)
        if peer.transport != .udp {
            writeStream(message, to: peer)
            return
        }
        guard let channel else { return }
        guard let address = try? SocketAddress(ipAddress: peer.host, port: Int(peer.port)) else {
            logger.notice("not sending to \(peer): not an IP address")
            return
        }
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: channel.allocator.buffer(bytes: message.bytes)),
                              promise: nil)
    }

    /// Re-arms the one timer at the earliest deadline of the transactions, the dialogs and the role.
    public func afterWork() {
        timer?.cancel()
        let due = [transactions.nextTimeout, calls.nextTimeout, role?.nextTimeout, failover?.locator.nextTimeout].compactMap { $0 }.min()
        guard let due else { return }
        let now = Self.now()
        timer = loop.scheduleTask(in: .microseconds(Int64(clamping: due > now ? due - now : 0))) { [weak self] in
            guard let self else { return }
            let now = Self.now()
            self.handle(self.transactions.poll(now: now), now: now)
            for output in self.calls.poll(now: now) {
                switch output {
                case .send(let response, let peer): self.write(.response(response), to: peer)
                case .ackTimeout(let id):
                    self.logger.warning("no ACK for our 2xx: ending the call")
                    self.role?.dialogFailed(id, reason: .noACK)
                case .sessionExpired(let id):
                    self.role?.dialogFailed(id, reason: .sessionExpired)
                }
            }
            self.role?.poll(now: now)
            self.locate(now: now)
            self.afterWork()
        }
    }
}

final class SIPDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    public let service: SIPService

    init(service: SIPService) { self.service = service }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let host = envelope.remoteAddress.ipAddress, let port = envelope.remoteAddress.port,
              envelope.data.readableBytes <= 65_535 else { return }
        service.received(Array(envelope.data.readableBytesView), from: SIPPeer(.udp, host: host, port: UInt16(port)))
    }
}
