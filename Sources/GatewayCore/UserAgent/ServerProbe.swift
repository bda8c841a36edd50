import SIP

/// Whether the SIP server answers (sans-IO): an OPTIONS to it every
/// `interval`, the first at once; any final response (even 404 or 405: the
/// server is there) makes it reachable, a transaction timeout unreachable.
/// What a load balancer's readiness check (/readyz) and the operator read.
/// An interval of 0 turns it off (a server that must see nothing but REGISTERs).
public struct ServerProbe {
    public struct Settings: Sendable {
        public var domain: String
        public var contactHost: String
        public var contactPort: UInt16
        public var transport: String
        /// Between two probes, in µs; 0: no probe.
        public var interval: UInt64 = 30_000_000

        public init(domain: String, contactHost: String, contactPort: UInt16, transport: String) {
            self.domain = domain
            self.contactHost = contactHost
            self.contactPort = contactPort
            self.transport = transport
        }
    }

    public var settings: Settings
    /// nil until the first probe is answered or times out.
    public private(set) var reachable: Bool?
    public private(set) var nextTimeout: UInt64?
    private var pending: TransactionKey?
    private var cseq: UInt32 = 0
    private let callID: String
    private let token: () -> String

    public init(settings: Settings, token: @escaping () -> String) {
        self.settings = settings
        self.token = token
        callID = token()
    }

    /// Starts probing now (the first OPTIONS is due at once).
    public mutating func start(now: UInt64) {
        if isOn { nextTimeout = now }
    }

    public var isOn: Bool { settings.interval > 0 }

    /// The OPTIONS that is due at `now`, if one is (none while one is out).
    public mutating func poll(now: UInt64, server: SIPPeer) -> SIPRequest? {
        guard let due = nextTimeout, due <= now, pending == nil else { return nil }
        nextTimeout = nil
        cseq &+= 1
        var h = SIPHeaders.newRequest(.options, via: Via.local(transport: settings.transport, host: settings.contactHost,
                                                               port: settings.contactPort, branchToken: token()),
                                      from: "<sip:webrtc-gateway@\(settings.domain)>;tag=\(token())",
                                      to: "<sip:\(settings.domain)>", callID: callID, cseq: cseq)
        h.add("User-Agent", "webrtc-gateway")
        return SIPRequest(method: .options, uri: SIPURI(host: server.host, port: server.port), headers: h)
    }

    /// The client transaction the OPTIONS went out in.
    public mutating func sent(_ key: TransactionKey) { pending = key }

    /// A response in the probe's transaction; false when the transaction is not the probe's.
    public mutating func response(_ response: SIPResponse, key: TransactionKey, now: UInt64) -> Bool {
        guard key == pending else { return false }
        guard response.statusCode >= 200 else { return true }
        answered(true, now: now)
        return true
    }

    /// The probe's transaction timed out; false when the transaction is not the probe's.
    public mutating func timeout(_ key: TransactionKey, now: UInt64) -> Bool {
        guard key == pending else { return false }
        answered(false, now: now)
        return true
    }

    private mutating func answered(_ reached: Bool, now: UInt64) {
        pending = nil
        reachable = reached
        nextTimeout = now &+ settings.interval
    }
}
