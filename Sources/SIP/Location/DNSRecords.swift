/// A DNS question the SIP server's location asks (RFC 3263 §4): the SRV
/// records of a service name, or the addresses of a host.
public struct DNSQuery: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case a, aaaa, srv }
    public var name: String
    public var kind: Kind

    public init(_ name: String, _ kind: Kind) {
        self.name = name
        self.kind = kind
    }

    public var description: String { "\(kind) \(name)" }
}

/// A record of an answer, its data read and its time to live in seconds.
public struct DNSRecord: Equatable, Sendable {
    public enum Data: Equatable, Sendable {
        /// An A or AAAA record: the address as text.
        case address(String)
        /// An SRV record (RFC 2782).
        case service(priority: UInt16, weight: UInt16, port: UInt16, target: String)
    }
    public var data: Data
    public var ttl: UInt32

    public init(_ data: Data, ttl: UInt32) {
        self.data = data
        self.ttl = ttl
    }
}

/// What a query found: records (none when the name or the type is not there),
/// or nothing because no DNS server answered.
public enum DNSAnswer: Equatable, Sendable {
    case records([DNSRecord])
    case failed
}
