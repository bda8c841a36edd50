import WireInput

/// An ICE candidate attribute value (RFC 8839 §5.1):
/// `<foundation> <component> <transport> <priority> <address> <port> typ <type> [extensions...]`
public struct Candidate: Equatable, Sendable {
    public var foundation: String
    public var component: Int
    public var transport: String     // "udp", "tcp" (case kept as received)
    public var priority: UInt32
    public var address: String
    public var port: UInt16
    public var type: String          // host, srflx, prflx, relay
    /// Name/value pairs after the type: raddr, rport, tcptype, generation, ufrag, ...
    public var extensions: [(String, String)]

    /// Our one candidate on a browser leg (ICE-lite): the UDP socket's address, highest host priority.
    public static func host(_ address: String, port: UInt16) -> Candidate {
        Candidate(foundation: "1", component: 1, transport: "udp", priority: 2_130_706_431, address: address, port: port,
                  type: "host")
    }

    public init(foundation: String, component: Int, transport: String, priority: UInt32, address: String,
                port: UInt16, type: String, extensions: [(String, String)] = []) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.type = type
        self.extensions = extensions
    }

    /// Parses `candidate:...` with or without the `candidate:` prefix.
    public init?(_ text: String) {
        var body = Substring(text)
        if body.hasPrefix("candidate:") { body = body.dropFirst("candidate:".count) }
        let f = body.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        // Eight fields at least (checked first: every index below is among them), numbers as digits only.
        guard f.count >= 8, f[6] == "typ", let component = WireNumber.exact(f[1], as: UInt8.self).map(Int.init),
              let priority = WireNumber.exact(f[3], as: UInt32.self), let port = WireNumber.exact(f[5], as: UInt16.self)
        else { return nil }
        var extensions: [(String, String)] = []
        var i = 8
        while i + 1 < f.count {
            extensions.append((f[i], f[i + 1]))
            i += 2
        }
        self.init(foundation: f[0], component: component, transport: f[2], priority: priority, address: f[4],
                  port: port, type: f[7], extensions: extensions)
    }

    /// The attribute value (without `candidate:`).
    public var value: String {
        var out = "\(foundation) \(component) \(transport) \(priority) \(address) \(port) typ \(type)"
        for (k, v) in extensions { out += " \(k) \(v)" }
        return out
    }

    /// An mDNS name (RFC 8828 §.local) rather than an address: nothing to send to.
    public var isMDNS: Bool { address.lowercased().hasSuffix(".local") }

    public static func == (a: Candidate, b: Candidate) -> Bool { a.value == b.value }
}
