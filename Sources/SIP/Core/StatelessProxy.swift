import WireInput

/// The proxy of the embedded SIP server (RFC 3261 §16.11, stateless): a
/// request for a registered address of record goes to its contact, an
/// in-dialog request to the registered contact it targets, and a response
/// back along the Via the proxy added. It relays to nothing else: an exposed
/// server must not become an open relay. Sans-IO.
public struct StatelessProxy: Sendable {
    public enum Decision: Equatable, Sendable {
        /// For this server itself (registrar, its own numbers and dialogs).
        case local
        case forward(SIPRequest, to: SIPPeer)
        case reject(SIPStatus, reason: String? = nil)
        /// An ACK that has nowhere to go.
        case drop
    }

    /// The transport address this server listens on (its Via and Contact).
    public var host: String
    public var port: UInt16
    /// Its TLS listener's port, if it has one.
    public var tlsPort: UInt16?
    /// The domain its users register in.
    public var domain: String
    /// Request-URI users the server answers itself (its test numbers).
    public var localUsers: Set<String>

    /// Branches of our Via: the prefix tells our responses from anyone's, and
    /// contains a character random tokens never do.
    static let branchPrefix = Via.magicCookie + "-sp-"

    public init(host: String, port: UInt16, domain: String, localUsers: Set<String>) {
        self.host = host
        self.port = port
        self.domain = domain
        self.localUsers = localUsers
    }

    private func isUs(_ uri: SIPURI) -> Bool {
        let h = uri.host.lowercased()
        return (h == domain.lowercased() || h == host.lowercased()) && (uri.port == nil || uri.port == port)
    }

    public func route(_ r: SIPRequest, registrar: Registrar, now: UInt64) -> Decision {
        if r.method == .register { return .local }
        if isUs(r.uri), r.uri.user == nil || localUsers.contains(r.uri.user!.lowercased()) { return .local }
        var target: (uri: SIPURI, peer: SIPPeer?)?
        if let binding = registrar.lookup(Registrar.aor(r.uri), now: now).first,
           let contact = try? SIPURI(parsing: binding.contact) {
            target = (contact, binding.peer)
        } else if let binding = registrar.binding(contact: r.uri, now: now) {
            target = (r.uri, binding.peer)
        }
        guard let target else {
            if r.method == .ack { return .drop }
            return isUs(r.uri) ? .reject(.notFound) : .reject(.forbidden, reason: "Not Relaying")
        }
        var forwarded = r
        let hops = r.headers["Max-Forwards"].flatMap { WireNumber.decimal(SIPText.trim(Substring($0)), saturatingAt: 255) } ?? 70
        guard hops > 0 else { return r.method == .ack ? .drop : .reject(.tooManyHops) }
        forwarded.headers.set("Max-Forwards", String(hops - 1))
        forwarded.uri = target.uri
        guard let top = r.headers.values("Via").first else { return .drop }
        // A registered user is reached where its REGISTER came from (its own TCP/TLS connection, or
        // its UDP source: RFC 5626 and RFC 3581 in spirit), never at a host its Contact names: a
        // registration cannot point the proxy at any other host, or make it open a connection there.
        guard let peer = target.peer else { return r.method == .ack ? .drop : .reject(.notFound) }
        // Our Via names the transport the request leaves on, and our port for it.
        let via = Via(transport: peer.transport.rawValue, host: host, port: peer.transport == .tls ? tlsPort ?? port : port,
                      parameters: [SIPParameter(name: "branch", value: Self.branchPrefix + Self.digest(top))])
        forwarded.headers.prepend("Via", via.description)
        return .forward(forwarded, to: peer)
    }

    /// A response to a request this proxy forwarded: without our Via, and where it goes next.
    public func route(_ response: SIPResponse) -> SIPResponse? {
        let vias = response.headers.values("Via")
        guard vias.count >= 2, let top = response.headers.topVia, top.branch?.hasPrefix(Self.branchPrefix) == true,
              top.host == host, top.port == port || (tlsPort != nil && top.port == tlsPort) else { return nil }
        var out = response
        out.headers.remove("Via")
        for v in vias.dropFirst() { out.headers.add("Via", v) }
        return out
    }

    /// The same branch for every retransmission and for the CANCEL of an
    /// INVITE (§16.11): a hash of the branch and sent-by of the Via it came with.
    static func digest(_ via: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in via.utf8 {
            hash ^= UInt64(b)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
