import NIOHTTP1
import ShellSupport

/// Which Host names a request may carry (DNS rebinding: a page whose own
/// name an attacker points at the gateway's address is a page of another
/// site, and must not reach the gateway as if it were its own). IP literals
/// and `localhost` always pass; names only when configured (`--http-name`);
/// a request without Host (not a browser's) too.
public struct HostPolicy: Sendable {
    public let names: Set<String>

    public init(names: [String]) { self.names = Set(names.map { $0.lowercased() }) }

    public func permits(_ headers: HTTPHeaders) -> Bool {
        // Browsers always send Host; a client without one is no page of another site.
        guard let value = headers.first(name: "Host") else { return true }
        let host = Self.withoutPort(value).lowercased()
        return host == "localhost" || host.isIPAddress || names.contains(host)
    }

    /// `name:port`, `[v6]:port`, `v4` or `[v6]` without the port (and brackets).
    public static func withoutPort(_ host: String) -> String {
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return "" }
            return String(host[host.index(after: host.startIndex)..<close])
        }
        guard let colon = host.lastIndex(of: ":") else { return host }
        return String(host[..<colon])
    }
}
