import ArgumentParser
import Gateway
import Logging

/// Every option of the gateway (the command line, a configuration file, the
/// environment: `ConfigurationSources`), with its default.
struct GatewayOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Read options from FILE: YAML, `name: value` with the option names (lists for repeatable ones). Environment variables WEBRTC_GATEWAY_NAME override it, the command line both.", valueName: "file"))
    var config: String?
    @Flag(help: "Print the effective configuration (YAML, passwords masked) and exit.")
    var printConfig = false

    // HTTP and signaling
    @Option(help: ArgumentHelp("Where the HTTP server listens: signaling (WebSocket /ws, long-poll), /sdk/gateway.js, the softphone.", valueName: "host:port"))
    var http = "127.0.0.1:8080"
    @Option(help: ArgumentHelp("Serve HTTPS and WSS with this PEM certificate chain (browsers allow the microphone only to secure pages).", valueName: "file"))
    var httpsCert: String?
    @Option(help: ArgumentHelp("The PEM private key of --https-cert.", valueName: "file"))
    var httpsKey: String?
    @Option(help: ArgumentHelp("A DNS name the gateway is reached by (repeatable): a Host of another name is refused (DNS rebinding).", valueName: "name"))
    var httpName: [String] = []
    @Option(help: ArgumentHelp("Let pages of ORIGIN use the signaling from a browser (repeatable), besides the gateway's own.", valueName: "origin"))
    var allowedOrigin: [String] = []
    @Option(help: ArgumentHelp("This instance's name in a pool behind a load balancer: the value of the GWINSTANCE cookie it sticks sessions by (letters, digits, - and _; default: a random one).", valueName: "id"))
    var instanceId: String?
    @Option(help: ArgumentHelp("A load balancer in front (repeatable): its X-Forwarded-For names the client, and its connections are not bounded per source.", valueName: "addr"))
    var trustedProxy: [String] = []
    @Option(help: ArgumentHelp("Sign out a long-poll client that stops polling for this long.", valueName: "seconds"))
    var pollExpiry = 30
    @Option(help: ArgumentHelp("Hold a long-poll /wait open this long when there is nothing to send.", valueName: "seconds"))
    var pollHold = 50
    @Option(help: ArgumentHelp("Allow anonymous long-poll sign-in, whose users may call only NUMBER (repeatable).", valueName: "number"))
    var anonymousCallsTo: [String] = []
    @Option(help: "Signaling sessions in all.") var maxSessions = 1000
    @Option(help: "Signaling sessions from one IP address.") var maxSessionsPerSource = 200
    @Option(help: ArgumentHelp("Close an HTTP or WebSocket connection that sends nothing for this long.", valueName: "seconds"))
    var idleTimeout = 75
    @Option(help: ArgumentHelp("Ping each WebSocket peer this often; one that has not answered the last ping by the next is closed, and its session ends.", valueName: "seconds"))
    var wsPing = 30
    @Option(help: ArgumentHelp("The header name prefix of the data a browser attaches to its call (Genesys attacheddata), on the INVITE.", valueName: "prefix"))
    var attachedDataPrefix = "X-Genesys-"

    // Media
    @Option(help: ArgumentHelp("Where the media ports are bound (and, by default, the address put in the SDP).", valueName: "addr"))
    var mediaIp = "127.0.0.1"
    @Option(help: ArgumentHelp("The address the browser legs advertise (SDP, ICE candidate) when a NAT maps it to --media-ip.", valueName: "addr"))
    var mediaAdvertise: String?
    @Option(help: ArgumentHelp("The same for the SIP legs' SDP, when the SIP peers are across that NAT too.", valueName: "addr"))
    var sipMediaAdvertise: String?
    @Option(help: ArgumentHelp("--media-advertise, --sip-media-advertise and --sip-advertise at once.", valueName: "addr"))
    var publicIp: String?
    @Option(help: ArgumentHelp("The UDP ports for media, one per call leg.", valueName: "low-high"))
    var rtpPorts = "40000-40999"
    @Option(help: ArgumentHelp("The Opus encoder's complexity toward browsers on transcoded calls, 0 (cheapest) to 10 (best).", valueName: "0-10"))
    var opusComplexity = 5

    // SIP
    @Option(help: ArgumentHelp("Where the SIP stack listens, UDP and TCP; without --sip-server the embedded server listens here.", valueName: "host:port"))
    var sipListen = "127.0.0.1:5060"
    @Option(help: ArgumentHelp("The host put in SIP Contact and Via when a NAT maps it to --sip-listen's address.", valueName: "host"))
    var sipAdvertise: String?
    @Option(help: ArgumentHelp("The SIP server / outbound proxy ([tcp:|tls:]host[:port]; a DNS name without a port is looked up by SRV, then A/AAAA, RFC 3263, with failover between its targets); without it the embedded registrar/proxy runs, with echo, tone, busy and ring.", valueName: "server"))
    var sipServer: String?
    @Option(help: ArgumentHelp("Also listen for SIP over TLS on this port (the --sip-listen host).", valueName: "port"))
    var sipTlsPort: Int?
    @Option(help: ArgumentHelp("The PEM certificate chain of --sip-tls-port.", valueName: "file")) var sipTlsCert: String?
    @Option(help: ArgumentHelp("The PEM private key of --sip-tls-port.", valueName: "file")) var sipTlsKey: String?
    @Option(help: ArgumentHelp("PEM CA certificates to trust for a tls: SIP server (default: the system's).", valueName: "file"))
    var sipTlsTrust: String?
    @Option(help: ArgumentHelp("The SIP domain of the users (default: the advertised SIP host).", valueName: "name"))
    var sipDomain: String?
    @Option(help: ArgumentHelp("Register USER on the SIP server at start (repeatable).", valueName: "user:password"))
    var register: [String] = []
    @Option(help: ArgumentHelp("A file of USER:PASSWORD lines to register at start (the passwords out of the command line).", valueName: "file"))
    var registerFile: String?
    @Option(help: ArgumentHelp("An account of the embedded SIP server (repeatable): it then asks for Digest and may listen off loopback.", valueName: "user:password"))
    var sipAccount: [String] = []
    @Option(help: ArgumentHelp("A file of USER:PASSWORD lines, accounts of the embedded SIP server.", valueName: "file"))
    var sipAccountFile: String?
    @Option(help: ArgumentHelp("Also take SIP requests from this IP address when --sip-server is set (repeatable).", valueName: "addr"))
    var sipTrustedPeer: [String] = []
    @Option(help: ArgumentHelp("The registration interval asked of the SIP server.", valueName: "seconds")) var registerExpires = 3600
    @Option(help: ArgumentHelp("Ping the SIP server (CRLF CRLF) this often while users are registered; 0 = never.", valueName: "seconds"))
    var sipKeepalive = 30
    @Option(help: ArgumentHelp("Ask the SIP server whether it is there (OPTIONS) this often, for /readyz; 0 = never.", valueName: "seconds"))
    var sipProbe = 30
    @Option(help: ArgumentHelp("Close a SIP TCP/TLS connection a peer opened when it sends nothing for this long.", valueName: "seconds"))
    var sipIdleTimeout = 300
    @Option(help: "New SIP calls taken on per second; more are answered 503 with Retry-After.") var maxCallRate = 500
    @Option(help: ArgumentHelp("A call that rings this long, either way, is given up.", valueName: "seconds")) var ringTimeout = 120
    @Flag(help: "Offer SDES-SRTP on the SIP leg of the browsers' calls (SDES offers from SIP peers are always taken).")
    var sipSrtp = false
    @Flag(help: "Send the browser's DTMF as SIP INFO too (it always goes as RFC 4733).") var dtmfInfo = false

    // Operations
    @Option(help: ArgumentHelp("On SIGTERM or SIGINT, how long calls up may go on before they are ended (a second signal: at once).", valueName: "seconds"))
    var drainTimeout = 60
    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level")) var logLevel = "info"
    @Option(help: ArgumentHelp("text, or json: one JSON object per line with the metadata as fields.", valueName: "format"))
    var logFormat = "text"
    @Flag(help: "Log every SIP message of the user agent with its direction, transport and addresses.") var sipTrace = false
    @Option(help: ArgumentHelp("Send every SIP message of the user agent as HEP3 over UDP to a Homer collector.", valueName: "host:port"))
    var hep: String?
    @Flag(help: "Mount the test suite's routes under /test/ (needs --http on loopback).") var testRoutes = false
    @Option(help: ArgumentHelp("Instead of serving, run one simulated call of this many seconds through the media core and print it.", valueName: "seconds"))
    var mediaDemo: Int?
}
