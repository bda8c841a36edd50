/// Where a request really comes from. Behind a load balancer every connection
/// is the balancer's: the per-source bounds and the sign-in lockout would
/// count all browsers as one. A connection from a trusted proxy is taken at
/// its word: the client is the last address of X-Forwarded-For, the one that
/// proxy appended (addresses before it came from the client and prove nothing).
public struct TrustedProxies: Sendable {
    public let addresses: Set<String>

    public init(_ addresses: [String] = []) { self.addresses = Set(addresses) }

    public func trusts(_ peer: String) -> Bool { addresses.contains(peer) }

    /// The client of a request whose connection comes from `peer`.
    public func client(peer: String, forwardedFor: [String]) -> String {
        guard trusts(peer), let last = forwardedFor.last?.split(separator: ",", omittingEmptySubsequences: false).last else {
            return peer
        }
        let address = String(last.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        return Self.isIPAddress(address) ? address : peer
    }

    /// An IPv4 or IPv6 address as text (what a proxy writes), nothing else: a bound keyed by it stays a bound.
    static func isIPAddress(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 45 else { return false }
        if s.contains(":") { return s.utf8.allSatisfy { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") || isHex($0) } }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { $0.count <= 3 && UInt8($0) != nil }
    }

    private static func isHex(_ b: UInt8) -> Bool {
        (48...57).contains(b) || (65...70).contains(b) || (97...102).contains(b)
    }
}
