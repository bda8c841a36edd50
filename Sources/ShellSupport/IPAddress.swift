import NIOCore

extension String {
    /// Whether this is an IPv4 or IPv6 address (not a name to resolve).
    public var isIPAddress: Bool { (try? SocketAddress(ipAddress: self, port: 0)) != nil }
}
