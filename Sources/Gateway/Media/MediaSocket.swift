#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix

/// A media leg's UDP socket: NIO reads it, the leg writes its datagrams
/// straight to the kernel. Media is sent now or never: NIO's write queue, its
/// flush and its per-write bookkeeping cost more than the `sendto` itself on
/// the per-packet path (issue 13's profile), and a datagram the socket cannot
/// take at once is stale by the time it could, so it is dropped and counted.
///
/// The sender writes on a duplicate of the channel's descriptor, closed with
/// the channel (before the callers' close callbacks give the port back): a
/// descriptor number NIO closed and the system reused is never written to.
/// Used on the channel's event loop only.
final class MediaSocket: @unchecked Sendable {
    private var descriptor: CInt
    /// Datagrams the kernel did not take (its send buffer full, or an error).
    private(set) var dropped: UInt64 = 0
    /// The last destination as the kernel takes it, kept: media goes to one address.
    private var destination: SocketAddress?
    private var destinationStorage = sockaddr_storage()
    private var destinationLength: socklen_t = 0

    private init(descriptor: CInt) { self.descriptor = descriptor }

    /// Binds `host:port` (SO_REUSEADDR) and opens a datagram channel on `loop`
    /// whose pipeline `initialize` sets up with the socket to send on.
    static func open(on loop: EventLoop, host: String, port: UInt16,
                     initialize: @escaping @Sendable (Channel, MediaSocket) throws -> Void)
        -> EventLoopFuture<(channel: Channel, socket: MediaSocket)> {
        let bound: (channel: CInt, own: CInt)
        do { bound = try bind(host: host, port: port) } catch { return loop.makeFailedFuture(error) }
        let socket = MediaSocket(descriptor: bound.own)
        return DatagramBootstrap(group: loop)
            .channelInitializer { channel in
                channel.closeFuture.whenComplete { _ in socket.close() }
                return channel.eventLoop.makeCompletedFuture { try initialize(channel, socket) }
            }
            .withBoundSocket(bound.channel)
            .map { (channel: $0, socket: socket) }
            .flatMapErrorThrowing { error in
                socket.close()
                throw error
            }
    }

    /// Sends `bytes` to `address` if the kernel takes it now; false when dropped.
    @discardableResult
    func send(_ bytes: UnsafeRawBufferPointer, to address: SocketAddress) -> Bool {
        guard descriptor >= 0 else { return false }
        if destination != address {
            guard let (storage, length) = Self.storage(of: address) else { return false }
            (destination, destinationStorage, destinationLength) = (address, storage, length)
        }
        let sent = withUnsafePointer(to: &destinationStorage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0, destinationLength)
            }
        }
        if sent < 0 { dropped &+= 1 }
        return sent >= 0
    }

    private func close() {
        guard descriptor >= 0 else { return }
        _ = Glibc.close(descriptor)
        descriptor = -1
    }

    private static func storage(of address: SocketAddress) -> (sockaddr_storage, socklen_t)? {
        var storage = sockaddr_storage()
        switch address {
        case .v4(let a):
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: a.address, as: sockaddr_in.self) }
            return (storage, socklen_t(MemoryLayout<sockaddr_in>.size))
        case .v6(let a):
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: a.address, as: sockaddr_in6.self) }
            return (storage, socklen_t(MemoryLayout<sockaddr_in6>.size))
        default:
            return nil
        }
    }

    /// A bound non-blocking UDP socket and our duplicate of it.
    private static func bind(host: String, port: UInt16) throws -> (channel: CInt, own: CInt) {
        let address = try SocketAddress(ipAddress: host, port: Int(port))
        let family = address.protocol.rawValue
        let fd = Glibc.socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var one: CInt = 1
        var result = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
        if result == 0, let (storage, length) = Self.storage(of: address) {
            result = withUnsafePointer(to: storage) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
            }
        }
        let own = result == 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1
        guard own >= 0 else {
            let code = errno
            _ = Glibc.close(fd)
            throw IOError(errnoCode: code, reason: "bind \(host):\(port)")
        }
        return (fd, own)
    }
}
