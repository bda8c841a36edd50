import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ShellSupport
import SIP

/// The NIO shell of a SIP endpoint: one UDP socket (and TCP, TLS), the DNS
/// lookups of the SIP server's name, and one timer, on one event loop; what
/// it receives goes to its `SIPServiceCore`, which decides, and what the core
/// sends goes out. What the endpoint is for is its `role`'s: the gateway's
/// user agent (`UserAgent`), or the embedded SIP server (`EmbeddedServer`).
/// A service may be one of several shards on as many loops (`sharded`).
public final class SIPService: @unchecked Sendable {
    public let settings: Settings
    public let loop: EventLoop
    public let logger: Logger
    private var channel: Channel?
    /// This loop's sender on the UDP socket (the first shard's socket, for every shard).
    var socket: UDPSocket?
    var port: Int?
    /// On the first shard: every shard, itself first (empty when not sharded).
    var shards: [SIPService] = []
    /// On the other shards: the first, which owns the sockets and the connections.
    var primary: SIPService?
    /// On the first shard: datagrams read for each shard, handed over at the end of a read cycle.
    var handOvers: [[(bytes: [UInt8], source: SIPPeer)]] = []
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
    /// What the endpoint decides.
    public let core: SIPServiceCore
    public var transactions: TransactionLayer { core.transactions }
    public var endpoint: EndpointCore { core.endpoint }
    /// What the endpoint is for; set before `start`.
    public var role: SIPRole? {
        get { core.role }
        set { core.role = newValue }
    }
    /// Told of every message taken from a trusted source and every message written, with the
    /// peer and whether it was received (metrics, traces). On the service's loop.
    public var observer: ((SIPMessage, SIPPeer, _ received: Bool) -> Void)?
    private var timer: Scheduled<Void>?
    var firstLookup: EventLoopPromise<Void>?

    /// `registrar`: the embedded server's; the user agent has none.
    public init(settings: Settings, loop: EventLoop, logger: Logger, registrar: Registrar? = nil) {
        self.settings = settings
        self.loop = loop
        self.logger = logger
        inboundLimiter = ConnectionLimiter(total: 1024, perSource: 64, reason: "sip-connections", refusals: settings.refusals)
        let locator = settings.server.map {
            SIPServerLocator(.init(server: $0, portGiven: settings.serverPortGiven,
                                   family: settings.listenHost.contains(":") ? .aaaa : .a), now: Self.now())
        }
        core = SIPServiceCore(server: settings.server, locator: locator, trustedSources: settings.trustedSources,
                              maxCallRate: settings.maxCallRate, registrar: registrar, makeTag: { Random.token(10) },
                              makeBranch: { Random.token(16) })
    }

    public static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds / 1000 }

    /// Binds the sockets and starts the other shards, if any, on them.
    public func start() -> EventLoopFuture<Void> {
        bindUDPAndTCP(attempts: settings.listenPort == 0 ? 20 : 1).flatMap { channel, socket, listener in
            self.channel = channel
            self.socket = socket
            self.tcpListener = listener
            return self.locateFirst().map { channel }
        }.flatMap { channel in
            let port = channel.localAddress?.port ?? self.settings.listenPort
            let upstream = self.settings.server.map { "server \($0)" } ?? "embedded registrar"
            let loops = self.shards.count > 1 ? ", on \(self.shards.count) event loops" : ""
            self.logger.info("SIP listening on udp and tcp \(self.settings.listenHost):\(port), \(upstream)\(loops)")
            self.begin(port: port)
            self.startTLSListener()
            return self.startShards(port: port, channel: channel)
        }
    }

    /// Ready to work on `port`.
    func begin(port: Int) {
        self.port = port
        role?.started(port: UInt16(clamping: port))
        afterWork()
    }

    /// UDP and TCP on the same port. Asked for port 0, the port UDP got may be
    /// taken for TCP: then both are let go and another is tried.
    private func bindUDPAndTCP(attempts: Int) -> EventLoopFuture<(Channel, UDPSocket, Channel)> {
        // Room for a burst while the loop sheds load (the kernel caps it at net.core.rmem_max).
        UDPSocket.open(on: loop, host: settings.listenHost, port: UInt16(clamping: settings.listenPort), receiveBuffer: 4 << 20) {
            channel, _ in
            // Several datagrams per wake-up under load, handed to the other shards together.
            try channel.syncOptions?.setOption(ChannelOptions.maxMessagesPerRead, value: 16)
            try channel.pipeline.syncOperations.addHandler(SIPDatagramHandler(service: self))
        }
        .flatMap { udp, socket in
            ServerBootstrap(group: self.loop)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { self.accept($0, transport: .tcp, tls: nil) }
                .bind(host: self.settings.listenHost, port: udp.localAddress?.port ?? self.settings.listenPort)
                .map { (udp, socket, $0) }
                .flatMapError { error in
                    udp.close().flatMap {
                        attempts > 1 ? self.bindUDPAndTCP(attempts: attempts - 1) : self.loop.makeFailedFuture(error)
                    }
                }
        }
    }

    public var boundPort: Int? { port }


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
                    if let bound = listener.localAddress?.port { self.tlsListening(port: bound) }
                    self.logger.info("SIP listening on tls \(self.settings.listenHost):\(listener.localAddress?.port ?? port)")
                case .failure(let error):
                    self.logger.error("cannot listen for SIP over TLS on port \(port): \(error)")
                }
            }
    }
    // MARK: input

    /// A UDP datagram for this shard.
    func received(_ bytes: [UInt8], from source: SIPPeer) {
        core.receive(datagram: bytes, from: source, now: Self.now())
        afterWork()
    }

    /// A message that did not parse off a stream.
    func refuse(_ bytes: [UInt8], _ error: SIPParseError, from source: SIPPeer) {
        core.refuse(bytes, error, from: source, now: Self.now())
        afterWork()
    }

    /// A parsed message from a stream.
    func deliver(_ message: SIPMessage, from source: SIPPeer) {
        core.receive(message, from: source, now: Self.now())
        afterWork()
    }

    public func handle(_ outputs: [TransactionLayer.Output], now: UInt64) {
        core.handle(outputs, now: now)
        flush()
    }

    public func respond(_ key: TransactionKey, _ response: SIPResponse, now: UInt64) {
        core.respond(key, response, now: now)
        flush()
    }

    public var contactURI: SIPURI { SIPURI(host: settings.advertisedHost, port: UInt16(boundPort ?? settings.listenPort)) }

    // MARK: output and timers

    public func write(_ message: SIPMessage, to peer: SIPPeer) {
        core.send(message, to: peer, now: Self.now())
        flush()
    }

    /// A new client transaction for `request` (its outputs for `handle`).
    public func startTransaction(_ request: SIPRequest, to peer: SIPPeer, cancelling invite: SIPRequest? = nil)
        -> (TransactionKey, [TransactionLayer.Output]) {
        core.startTransaction(request, to: peer, cancelling: invite, now: Self.now())
    }

    /// A double CRLF to `peer` (RFC 5626 §4.4.1): over UDP from our port, over TCP or TLS on its open connection.
    public func ping(_ server: SIPPeer) {
        guard let peer = core.hop(server, now: Self.now()) else { return }
        let ping: [UInt8] = [13, 10, 13, 10]
        if peer.transport == .udp {
            guard let socket, let address = try? SocketAddress(ipAddress: peer.host, port: Int(peer.port)) else { return }
            ping.withUnsafeBytes { _ = socket.send($0, to: address) }
        } else if let connection = tcpConnections[Self.key(peer)] {
            connection.writeAndFlush(connection.allocator.buffer(bytes: ping), promise: nil)
        }
    }

    /// A request outside the transaction layer (the ACK of a 2xx).
    public func writeRequest(_ request: SIPRequest, to peer: SIPPeer) { write(.request(request), to: peer) }

    /// Carries out what the core decided: messages to the wire (the observer told), counts, log lines.
    private func flush() {
        while let output = core.pollOutput() {
            switch output {
            case .received(let message, let source): observer?(message, source, true)
            case .send(let message, let peer): transmit(message, to: peer)
            case .refused(let reason): settings.refusals.count(reason)
            case .notice(let line): logger.notice("\(line)")
            case .warning(let line): logger.warning("\(line)")
            }
        }
    }

    private func transmit(_ message: SIPMessage, to peer: SIPPeer) {
        observer?(message, peer, false)
        if peer.transport != .udp {
            // The connections are the first shard's.
            guard let primary else { return writeStream(message, to: peer) }
            return primary.loop.execute { primary.writeStream(message, to: peer) }
        }
        guard let socket else { return }
        guard let address = try? SocketAddress(ipAddress: peer.host, port: Int(peer.port)) else {
            logger.notice("not sending to \(peer): not an IP address")
            return
        }
        // A full send buffer drops it: a request's transaction sends it again, a peer its request.
        let sent = message.bytes.withUnsafeBytes { socket.send($0, to: address) }
        if !sent { settings.refusals.count("sip-udp-send-buffer-full") }
    }

    /// Carries out what the core decided and re-arms the one timer at its earliest deadline.
    public func afterWork() {
        flush()
        timer?.cancel()
        guard let due = core.nextTimeout else { return }
        let now = Self.now()
        timer = loop.scheduleTask(in: .microseconds(Int64(clamping: due > now ? due - now : 0))) { [weak self] in
            guard let self else { return }
            let now = Self.now()
            self.core.poll(now: now)
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
        service.route(Array(envelope.data.readableBytesView), from: SIPPeer(.udp, host: host, port: UInt16(clamping: port)))
    }

    func channelReadComplete(context: ChannelHandlerContext) { service.handOver() }
}
