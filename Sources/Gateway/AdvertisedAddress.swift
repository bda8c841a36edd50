import NIOCore
import NIOPosix

/// What the gateway puts in SDP, Contact and Via for a socket bound to an
/// address: a configured public address (a NAT maps it to the bound one), the
/// bound address itself, or - bound to 0.0.0.0 or :: - the machine's first
/// address that is not loopback. Never the unspecified address, which no peer
/// can send to.
extension GatewayServer {
    static func isUnspecified(_ host: String) -> Bool { ["0.0.0.0", "::", "[::]"].contains(host) }

    static func advertised(_ configured: String?, bound: String) throws -> String {
        if let configured {
            guard !configured.isEmpty, !isUnspecified(configured) else {
                throw GatewayError.configuration("cannot advertise \(configured)")
            }
            return configured
        }
        guard isUnspecified(bound) else { return bound }
        let wantV6 = bound.contains(":")
        let devices = (try? System.enumerateDevices()) ?? []
        let first = devices.compactMap { device -> String? in
            guard let ip = device.address?.ipAddress, !isLoopback(ip), !ip.hasPrefix("fe80"), ip.contains(":") == wantV6 else {
                return nil
            }
            return ip
        }.first
        guard let first else {
            throw GatewayError.configuration("bound to \(bound) with no address to advertise: give --public-ip (or --media-advertise / --sip-advertise)")
        }
        return first
    }

    /// Where to reach a server of our own that listens on `host` (the embedded one): loopback for an unspecified address.
    static func reachable(_ host: String) -> String {
        isUnspecified(host) ? (host.contains(":") ? "::1" : "127.0.0.1") : host
    }
}
