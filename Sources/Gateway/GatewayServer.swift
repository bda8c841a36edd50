import EmbeddedSIPServer
import GatewayCore
import HTTPEdge
import Logging
import NIOCore
import Prometheus
import NIOPosix
import NIOSSL
import ServiceLifecycle
import ShellSupport
import SIP
import SIPEndpoint
import SignalingProtocol
import WebRTC

/// The gateway process: configuration, the shared DTLS identity, the HTTP
/// server and its routes.
/// Its properties are set once, by `start`, before anything else uses them.
public final class GatewayServer: @unchecked Sendable {
    public struct Config: Sendable {
        public var httpHost = "127.0.0.1"
        public var httpPort = 8080
        /// HTTPS (and WSS) on the HTTP listener with this certificate chain and key (PEM files);
        /// browsers allow the microphone only to secure pages, localhost aside.
        public var httpsCertificate: String?
        public var httpsKey: String?
        public var mediaIP = "127.0.0.1"
        /// The address the browser legs put in their SDP and ICE candidate, when a NAT maps a public one
        /// to `mediaIP` (Janus' nat_1_1_mapping, FreeSWITCH's ext-rtp-ip); nil: `mediaIP` (or, when that
        /// is unspecified, the machine's first address).
        public var mediaAdvertise: String?
        /// The same for the SIP legs' SDP: set when the SIP peers are across the NAT too.
        public var sipMediaAdvertise: String?
        /// The host put in SIP Contact and Via, likewise for `sipListenHost`.
        public var sipAdvertise: String?
        public var rtpPorts: ClosedRange<UInt16> = 40000...40999
        /// The Opus encoder's complexity (0...10) on transcoded calls: 0 takes about 0.6 of 5's CPU per call, 10
        /// about 1.7 times (build/media-bench prints the figures).
        public var opusComplexity: Int32 = 5
        public var sipListenHost = "127.0.0.1"
        public var sipListenPort = 5060
        /// The SIP server / outbound proxy; nil starts the embedded registrar.
        public var sipServer: (host: String, port: UInt16)?
        public var sipServerTransport = "udp"   // "tcp" or "tls"
        /// Whether --sip-server named its port; a name without one is looked up by SRV (RFC 3263).
        public var sipServerPortGiven = true
        /// A TLS listener for SIP (on the --sip-listen host) with this certificate chain and key (PEM files).
        public var sipTLSPort: Int?
        public var sipTLSCertificate: String?
        public var sipTLSKey: String?
        /// PEM file of the CA certificates trusted for TLS to the SIP server; nil = the system's.
        public var sipTLSTrust: String?
        public var sipDomain: String?
        /// Accounts to register at start (until sign-in does it per browser user).
        public var sipAccounts: [(user: String, password: String)] = []
        /// The embedded SIP server's accounts: with any, REGISTER and new INVITEs need Digest credentials.
        public var embeddedAccounts: [(user: String, password: String)] = []
        /// The registration interval the user agent asks for, in seconds.
        public var registerExpires = 3600
        /// How often to ping the SIP server (double CRLF) while users are registered; 0 = never.
        public var sipKeepAliveSeconds = 30
        /// The DNS names the gateway is reached by (Host headers); IP addresses and localhost always pass.
        public var httpNames: [String] = []
        /// Web origins besides the gateway's own whose pages may use its signaling.
        public var allowedOrigins: [String] = []
        /// This instance's name in a pool: the GWINSTANCE cookie's value, a load balancer's key (nil: a random one).
        public var instanceID: String?
        /// Load balancers whose X-Forwarded-For names the client (their connections are not bounded per source).
        public var trustedProxies: [String] = []
        /// A long-poll client that has not polled for this long is signed out.
        public var pollExpirySeconds = 30
        /// How long a GET /wait is held open with nothing to send.
        public var pollHoldSeconds = 50
        /// Offer SDES-SRTP (RTP/SAVP, a=crypto) on the SIP leg of browser calls.
        public var sipSRTP = false
        /// Send the browser's DTMF as SIP INFO too (always done when the SIP peer has no telephone-event).
        public var dtmfInfo = false
        /// The header name prefix of a call's attached data on its INVITE.
        public var attachedDataPrefix = "X-Genesys-"
        /// The test suite's routes (/test/...: browser-leg echo sessions, SIP
        /// state, SIP calls placed on request); off by default, and refused
        /// unless the HTTP server listens on loopback: an exposed gateway must
        /// not hand out media ports or call wherever it is told.
        public var testRoutes = false
        /// Anonymous long-poll sign-in is on when this is not empty; anonymous
        /// users call only these numbers.
        public var anonymousDestinations: [String] = []
        /// IP addresses besides the SIP server's whose SIP requests are taken
        /// (with --sip-server; other sources are not answered).
        public var sipTrustedPeers: [String] = []
        /// Signaling sessions in all, and from one IP address.
        public var maxSessions = 1000
        public var maxSessionsPerSource = 200
        /// New SIP calls taken on per second (by the embedded server and by the
        /// user agent each); more are answered 503 with Retry-After.
        public var maxCallRate = 500
        /// An HTTP or WebSocket connection that sends nothing for this long is closed (a
        /// long-poll /wait is answered within 25 s; the library pings its WebSocket every 25 s).
        public var idleTimeoutSeconds = 75
        /// How often each WebSocket peer is pinged; one that has not answered the last ping by the next is closed.
        public var webSocketPingSeconds = 30
        /// The same for SIP connections peers open to the gateway (TCP, TLS).
        public var sipIdleTimeoutSeconds = 300
        /// How long a call may ring, either way, before it is given up.
        public var ringTimeoutSeconds = 120
        /// The lowest level logged, and whether each line is a JSON object (else text).
        public var logLevel = Logger.Level.info
        public var logJSON = false
        /// Every SIP message of the user agent in and out, with direction, transport and addresses, in the log.
        public var sipTrace = false
        /// Where to send every SIP message of the user agent as HEP3 (a Homer collector, sngrep), if anywhere.
        public var hep: (host: String, port: UInt16)?
        /// How often the user agent asks its SIP server whether it is there (OPTIONS, for /readyz); 0: never.
        public var sipProbeSeconds = 30
        /// On SIGTERM or SIGINT, how long calls up may go on before they are ended.
        public var drainTimeoutSeconds = 60
        public init() {}
    }

    public let config: Config
    public let registry = SessionRegistry()
    let group: MultiThreadedEventLoopGroup
    let logger: Logger
    var ua: UserAgent?
    /// The embedded SIP server, a shard per event loop (empty with --sip-server).
    private var embedded: [EmbeddedServer] = []
    private var manager: CallManager?

    public init(config: Config, logger: Logger = Logger(label: "gateway")) {
        self.config = config
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
    }

    public let refusals = Refusals()
    /// Where the gateway's metrics are kept (GET /metrics); the executable bootstraps swift-metrics with it too.
    public let metricsRegistry = PrometheusCollectorRegistry()

    /// Starts SIP, media and the call manager; returns the HTTP server to run, which tells `onHTTPRunning`
    /// its bound port once it listens.
    public func start(onHTTPRunning: @escaping @Sendable (Int) async -> Void) throws -> any Service {
        try Self.checkExposure(config)
        let identity = try DTLSIdentity()
        logger.info("DTLS certificate fingerprint sha-256 \(identity.fingerprint.value)")
        let ports = MediaPortPool(range: config.rtpPorts)
        let factory = BrowserLegFactory(group: group, identity: identity, ports: ports, registry: registry, logger: logger)
        let files = StaticFiles()
        let ua = try startSIP(ports: ports)
        var sessionSettings = SessionTable.Settings()
        sessionSettings.maxSessions = config.maxSessions
        sessionSettings.maxSessionsPerSource = config.maxSessionsPerSource
        sessionSettings.anonymousDestinations = Set(config.anonymousDestinations)
        // The first password given for a user counts, as the SIP side registers it.
        sessionSettings.accounts = Dictionary(config.sipAccounts.map { ($0.user, $0.password) }, uniquingKeysWith: { first, _ in first })
        var callSettings = CallModel.Settings(mediaIP: try Self.advertised(config.sipMediaAdvertise, bound: config.mediaIP),
                                              domain: ua.service.settings.domain,
                                              contactHost: ua.service.settings.advertisedHost,
                                              contactPort: UInt16(clamping: ua.service.boundPort ?? ua.service.settings.listenPort),
                                              server: ua.serverPeer)
        callSettings.ringTimeout = UInt64(config.ringTimeoutSeconds) * 1_000_000
        callSettings.sessions = sessionSettings
        callSettings.offerSRTP = config.sipSRTP
        callSettings.dtmfInfo = config.dtmfInfo
        callSettings.attachedDataPrefix = config.attachedDataPrefix
        let browserAdvertised = try Self.advertised(config.mediaAdvertise, bound: config.mediaIP)
        callSettings.browserOffers = BrowserOffer.Settings(address: browserAdvertised, fingerprint: identity.fingerprint)
        let manager = CallManager(ua: ua, factory: factory, ports: ports, group: group, settings: callSettings,
                                  media: (bind: config.mediaIP, browserAdvertised: browserAdvertised,
                                          opusComplexity: config.opusComplexity),
                                  refusals: refusals, logger: logger)
        try ua.loop.submit { ua.attach(manager) }.wait()
        self.manager = manager
        let testRoutes = config.testRoutes
            ? TestRoutes(echo: EchoTestRoutes(factory: factory, registry: registry, mediaIP: config.mediaIP),
                         sipStatus: SIPStatusRoute(ua: ua), calls: OutgoingCallRoutes(service: ua))
            : nil
        let status = StatusRoute(manager: manager, embedded: embedded.map(\.service), ports: ports, registry: registry)
        let health = HealthRoutes(ua: ua)
        let metrics = GatewayMetrics(registry: metricsRegistry)
        manager.metrics = metrics
        let hep = try config.hep.map { try SIPObserver.hepSocket(to: $0.host, port: $0.port, on: ua.loop) }
        let trace = config.sipTrace, logger = self.logger
        try ua.loop.submit {
            let observer = SIPObserver(service: ua.service, metrics: metrics, trace: trace, hep: hep, logger: logger)
            ua.service.observer = { message, peer, received in observer.observe(message, peer: peer, received: received) }
            EventLoopDelaySampler(loop: ua.loop, metrics: metrics).start()
        }.wait()
        let metricsRoute = MetricsRoute(metrics: metrics, ua: ua, manager: manager, ports: ports, registry: registry)
        let origins = OriginPolicy(allowed: config.allowedOrigins)
        let hosts = HostPolicy(names: config.httpNames)
        let https = try Self.httpsConfiguration(config)
        let longPoll = LongPollRoutes(manager: manager, origins: origins, expiry: .seconds(Int64(config.pollExpirySeconds)),
                                      hold: .seconds(Int64(config.pollHoldSeconds)), https: https != nil,
                                      instance: config.instanceID ?? Random.token(16))
        // Long-poll takes two connections per session: room for the sessions one address may hold.
        let connections = ConnectionLimiter(total: 8 * config.maxSessions, perSource: 2 * config.maxSessionsPerSource + 16,
                                            reason: "http-connections", refusals: refusals,
                                            unboundedSources: Set(config.trustedProxies))
        let routes = GatewayRoutes(longPoll: longPoll, status: status, health: health, metrics: metricsRoute, test: testRoutes,
                                   files: files)
        let router = routes.router(hosts: hosts, origins: origins, proxies: TrustedProxies(config.trustedProxies),
                                   manager: manager)
        return HTTPServer.application(
            router: router, group: group, host: config.httpHost, port: config.httpPort, tls: https, connections: connections,
            idleTimeout: .seconds(Int64(config.idleTimeoutSeconds)), webSocketPing: .seconds(config.webSocketPingSeconds),
            maxFrame: WebSocketSignaling.maxMessage, logger: logger,
            onRunning: onHTTPRunning)
    }

    /// The gateway's SIP user agent, and with no SIP server configured the
    /// embedded one it registers with (on --sip-listen; the user agent then
    /// takes a free port beside it).
    private func startSIP(ports: MediaPortPool) throws -> UserAgent {
        let advertisedHost = try Self.advertised(config.sipAdvertise, bound: config.sipListenHost)
        let domain = config.sipDomain ?? advertisedHost
        let tlsListen = try Self.sipTLSListener(config)
        let tlsClient = try Self.sipTLS(config)
        // The TLS listener belongs to whoever listens on --sip-listen: the embedded server, or the user agent
        // (not to both when --sip-listen asks for port 0, which both then do).
        let embeddedHere = config.sipServer == nil
        func settings(port: Int, server: SIPPeer?, accounts: [(user: String, password: String)]) -> SIPService.Settings {
            .init(listenHost: config.sipListenHost, listenPort: port, server: server, domain: domain, accounts: accounts,
                  mediaIP: config.mediaIP, mediaPorts: ports, tls: tlsClient,
                  tlsListen: (server == nil) == embeddedHere ? tlsListen : nil, registerExpires: config.registerExpires,
                  keepAliveSeconds: config.sipKeepAliveSeconds,
                  trustedSources: server.map { Set(config.sipTrustedPeers + [$0.host]) },
                  refusals: refusals, maxCallRate: config.maxCallRate, streamIdleSeconds: config.sipIdleTimeoutSeconds,
                  advertisedHost: advertisedHost, serverPortGiven: config.sipServerPortGiven)
        }
        var server = config.sipServer.map {
            SIPPeer(SIPPeer.Transport(rawValue: config.sipServerTransport.uppercased()) ?? .udp, host: $0.host, port: $0.port)
        }
        if server == nil {
            var authentication: DigestVerifier?
            if !config.embeddedAccounts.isEmpty {
                // The gateway's own accounts are the embedded server's too: they register there.
                let accounts = config.embeddedAccounts + config.sipAccounts
                authentication = DigestVerifier(
                    realm: domain, accounts: Dictionary(accounts.map { ($0.user, $0.password) }, uniquingKeysWith: { first, _ in first }),
                    secret: Random.bytes(32))
            }
            // On every loop: its calls are spread over them by Call-ID.
            let shards = SIPService.sharded(settings: settings(port: config.sipListenPort, server: nil, accounts: []),
                                            loops: Array(group.makeIterator()), logger: logger, registrar: Registrar())
            let servers = shards.map { EmbeddedServer(service: $0, authentication: authentication) }
            guard let service = shards.first else { throw GatewayError.configuration("no event loop for the embedded SIP server") }
            try service.start().wait()
            embedded = servers
            server = SIPPeer(.udp, host: Self.reachable(config.sipListenHost), port: UInt16(service.boundPort ?? config.sipListenPort))
        }
        let service = SIPService(settings: settings(port: config.sipServer == nil ? 0 : config.sipListenPort, server: server,
                                                    accounts: config.sipAccounts),
                                 loop: group.next(), logger: logger)
        let ua = UserAgent(service: service, probeSeconds: config.sipProbeSeconds)
        try service.start().wait()
        self.ua = ua
        return ua
    }

    /// What must not face the internet: the test routes, and the embedded SIP
    /// server without accounts (anyone could register any user). Both are for
    /// loopback only.
    static func checkExposure(_ config: Config) throws {
        if config.testRoutes, !isLoopback(config.httpHost) {
            throw GatewayError.configuration("--test-routes needs --http on a loopback address, not \(config.httpHost)")
        }
        if config.sipServer == nil, config.embeddedAccounts.isEmpty, !isLoopback(config.sipListenHost) {
            throw GatewayError.configuration(
                "the embedded SIP server (no --sip-server) has no accounts (--sip-account): --sip-listen must be a loopback address, not \(config.sipListenHost)")
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    static func sipTLS(_ config: Config) throws -> NIOSSLContext? {
        guard config.sipServerTransport == "tls" else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let trust = config.sipTLSTrust { tls.trustRoots = .file(trust) }
        return try NIOSSLContext(configuration: tls)
    }

    static func sipTLSListener(_ config: Config) throws -> (port: Int, context: NIOSSLContext)? {
        guard let port = config.sipTLSPort else { return nil }
        guard let cert = config.sipTLSCertificate, let key = config.sipTLSKey else {
            throw GatewayError.configuration("--sip-tls-port needs --sip-tls-cert and --sip-tls-key")
        }
        return (port, try NIOSSLContext(configuration: serverTLS(certificate: cert, key: key)))
    }

    static func httpsConfiguration(_ config: Config) throws -> TLSConfiguration? {
        switch (config.httpsCertificate, config.httpsKey) {
        case (nil, nil): return nil
        case (let cert?, let key?): return try serverTLS(certificate: cert, key: key)
        default: throw GatewayError.configuration("--https-cert and --https-key go together")
        }
    }

    /// A TLS server (TLS 1.2 at least) with a PEM certificate chain and private key.
    static func serverTLS(certificate: String, key: String) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        tls.minimumTLSVersion = .tlsv12
        return tls
    }

    /// The port SIP is taken on (--sip-listen; the one bound when it asked for 0).
    public var sipPort: Int { (embedded.first?.service ?? ua?.service)?.boundPort ?? config.sipListenPort }
}

public enum GatewayError: Error, CustomStringConvertible {
    case configuration(String)
    public var description: String {
        switch self {
        case .configuration(let why): why
        }
    }
}
