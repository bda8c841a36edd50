import Foundation
import Logging
import NIOCore
import NIOPosix
import SIP
import SIPEndpoint

/// What the user agent's SIP service sends and takes, for the operator: each
/// message counted in the metrics, written to the log (`--sip-trace`, with
/// direction, transport and both addresses) and sent as HEP3 to a collector
/// (`--hep`: Homer, or sngrep). Confined to the service's event loop.
final class SIPObserver {
    private let service: SIPService
    private let metrics: GatewayMetrics
    private let trace: Bool
    private let logger: Logger
    private let hep: (channel: Channel, collector: SocketAddress)?
    /// Our address in the captures (the address SIP listens on).
    private let localAddress: [UInt8]
    private let agentID = UInt32.random(in: 1...UInt32.max)

    init(service: SIPService, metrics: GatewayMetrics, trace: Bool, hep: (channel: Channel, collector: SocketAddress)?,
         logger: Logger) {
        self.service = service
        self.metrics = metrics
        self.trace = trace
        self.hep = hep
        self.logger = logger
        localAddress = Self.addressBytes(service.settings.advertisedHost) ?? [0, 0, 0, 0]
    }

    /// A UDP socket on `loop` toward the HEP collector at `host:port` (an IP address).
    static func hepSocket(to host: String, port: UInt16, on loop: EventLoop) throws -> (channel: Channel, collector: SocketAddress) {
        let collector = try SocketAddress(ipAddress: host, port: Int(port))
        let channel = try DatagramBootstrap(group: loop)
            .bind(host: collector.protocol == .inet6 ? "::" : "0.0.0.0", port: 0).wait()
        return (channel, collector)
    }

    func observe(_ message: SIPMessage, peer: SIPPeer, received: Bool) {
        metrics.sip(message, received: received)
        if trace {
            let ours = "\(service.settings.advertisedHost):\(service.boundPort ?? service.settings.listenPort)"
            let arrow = received ? "\(peer.host):\(peer.port) -> \(ours)" : "\(ours) -> \(peer.host):\(peer.port)"
            logger.info("SIP \(received ? "in" : "out") \(peer.transport.rawValue) \(arrow)\n\(String(decoding: message.bytes, as: UTF8.self))")
        }
        if let hep, let peerAddress = Self.addressBytes(peer.host) {
            let local = HEP3Packet.Endpoint(address: localAddress, port: UInt16(clamping: service.boundPort ?? service.settings.listenPort))
            let remote = HEP3Packet.Endpoint(address: peerAddress, port: peer.port)
            let now = UInt64(max(Date().timeIntervalSince1970, 0) * 1_000_000)
            guard let packet = HEP3Packet.encode(message.bytes, from: received ? remote : local, to: received ? local : remote,
                                                 transport: peer.transport == .udp ? .udp : .tcp, time: now,
                                                 agentID: agentID, correlationID: message.headers["Call-ID"]) else { return }
            hep.channel.writeAndFlush(AddressedEnvelope(remoteAddress: hep.collector, data: hep.channel.allocator.buffer(bytes: packet)),
                                      promise: nil)
        }
    }

    /// An IP address's bytes (4 or 16); nil for anything else.
    static func addressBytes(_ host: String) -> [UInt8]? {
        guard let address = try? SocketAddress(ipAddress: host, port: 0) else { return nil }
        switch address {
        case .v4(let v4): return withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6): return withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        default: return nil
        }
    }
}
