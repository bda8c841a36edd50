import NIOSSL
import ShellSupport
import SIP

extension SIPService {
    public struct Settings {
        public var listenHost: String
        public var listenPort: Int
        /// The host put in Contact and Via: `listenHost`, or the public address a NAT maps to it
        /// (never 0.0.0.0: the gateway refuses to start with an unspecified one and nothing to advertise).
        public var advertisedHost: String
        /// Registrar / outbound proxy, by address or DNS name; nil = this gateway's embedded registrar.
        public var server: SIPPeer?
        /// Whether the server's port was configured; when not, a name is looked up by SRV first (RFC 3263).
        public var serverPortGiven = true
        public var domain: String
        public var accounts: [(user: String, password: String)]
        public var mediaIP: String
        public var mediaPorts: MediaPortPool
        /// Client TLS for `tls:` SIP servers (trust roots and verification).
        public var tls: NIOSSLContext?
        /// A TLS listener for incoming connections: its port (on listenHost) and server certificate.
        public var tlsListen: (port: Int, context: NIOSSLContext)?
        /// The registration interval asked for (the registrar may grant another).
        public var registerExpires = 3600
        /// How often the user agent pings the SIP server while it has registrations; 0 = never.
        public var keepAliveSeconds = 30
        /// The IP addresses SIP is taken from (the SIP server's, trusted peers');
        /// nil = any (the embedded server: on loopback, or asking for Digest when it has accounts).
        public var trustedSources: Set<String>?
        public var refusals = Refusals()
        /// New calls (out-of-dialog INVITEs) taken on per second; more get 503 + Retry-After.
        public var maxCallRate = 500
        /// A connection a peer opened on which nothing arrives for this long is closed
        /// (phones keep theirs open with CRLF keep-alives, RFC 5626 §4.4.1).
        public var streamIdleSeconds = 300

        public init(listenHost: String, listenPort: Int, server: SIPPeer?, domain: String,
                    accounts: [(user: String, password: String)], mediaIP: String, mediaPorts: MediaPortPool,
                    tls: NIOSSLContext?, tlsListen: (port: Int, context: NIOSSLContext)?, registerExpires: Int = 3600,
                    keepAliveSeconds: Int = 30, trustedSources: Set<String>?, refusals: Refusals = Refusals(),
                    maxCallRate: Int = 500, streamIdleSeconds: Int = 300, advertisedHost: String? = nil,
                    serverPortGiven: Bool = true) {
            self.listenHost = listenHost
            self.advertisedHost = advertisedHost ?? listenHost
            self.listenPort = listenPort
            self.server = server
            self.domain = domain
            self.accounts = accounts
            self.mediaIP = mediaIP
            self.mediaPorts = mediaPorts
            self.tls = tls
            self.tlsListen = tlsListen
            self.registerExpires = registerExpires
            self.keepAliveSeconds = keepAliveSeconds
            self.trustedSources = trustedSources
            self.refusals = refusals
            self.maxCallRate = maxCallRate
            self.streamIdleSeconds = streamIdleSeconds
            self.serverPortGiven = serverPortGiven
        }
    }
}
