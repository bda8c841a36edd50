import NIOHTTP1

/// Which web pages may drive the gateway from a browser: its own (the
/// Origin names the host the request went to) and those configured
/// (`--allowed-origin`). A page of another site cannot then open a signaling
/// session with the visitor's browser (cross-site WebSocket hijacking).
/// Requests without an Origin (not from a browser page) are let through:
/// they prove who they are by the password, like any client.
public struct OriginPolicy: Sendable {
    public var allowed: Set<String>

    public init(allowed: [String] = []) {
        self.allowed = Set(allowed.map { $0.lowercased() })
    }

    public func permits(_ headers: HTTPHeaders) -> Bool {
        guard let origin = headers.first(name: "Origin")?.lowercased() else { return true }
        if allowed.contains(origin) { return true }
        guard let host = headers.first(name: "Host")?.lowercased() else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }
}
