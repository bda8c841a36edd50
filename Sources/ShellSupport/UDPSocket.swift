#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix

/// A UDP socket NIO reads and its owner writes straight to the kernel (a media
/// leg's, the SIP service's). Media is sent now or never: NIO's write queue,
/// its flush and its per-write bookkeeping cost more than the `sendto` itself
/// on the per-packet path (issue 13's profile), and a datagram the socket
/// cannot take at once is stale by the time it could, so it is dropped and
/// counted (SIP's transactions retransmit what matters).
///
/// The sender writes on a duplicate of the channel's descriptor, closed with
/// the channel (before the callers' close callbacks give the port back): a
/// descriptor number NIO closed and the system reused is never written to.
/// Each sender is used on one event loop only: the channel's, or the one
/// `sender(for:closingWith:)` made it for.
public final class UDPSocket: @unchecked Sendable {
    private var descriptor: CInt
    /// Datagrams the kernel did not take (its send buffer full, or an error).
    public private(set) var dropped: UInt64 = 0
    /// The last destination as the kernel takes it, kept: media goes to one address.
    private var destination: SocketAddress?
    private var destinationStorage = sockaddr_storage()
    private var destinationLength: socklen_t = 0

    private init(descriptor: CInt) { self.descriptor = descriptor }

    /// Binds `host:port` (SO_REUSEADDR; port 0: any) and opens a datagram channel on `loop`
    /// whose pipeline `initialize` sets up with the socket to send on.
    /// `receiveBuffer`: SO_RCVBUF asked for (the kernel caps it at net.core.rmem_max).
    public static func open(on loop: EventLoop, host: String, port: UInt16, receiveBuffer: CInt? = nil,
                            initialize: @escaping @Sendable (Channel, UDPSocket) throws -> Void)
        -> EventLoopFuture<(channel: Channel, socket: UDPSocket)> {
        let bound: (channel: CInt, own: CInt)
        do { bound = try bind(host: host, port: port, receiveBuffer: receiveBuffer) } catch { return loop.makeFailedFuture(error) }
        let socket = UDPSocket(descriptor: bound.own)
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

    /// Another sender on the same socket, for `loop`'s use only; closed on
    /// `loop` when `channel` (the socket's) closes. Nil when the system has no
    /// descriptor left.
    public func sender(for loop: EventLoop, closingWith channel: Channel) -> UDPSocket? {
        guard descriptor >= 0 else { return nil }
        let own = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard own >= 0 else { return nil }
        let sender = UDPSocket(descriptor: own)
        channel.closeFuture.whenComplete { _ in loop.execute { sender.close() } }
        return sender
    }

    /// Sends `bytes` to `address` if the kernel takes it now; false when dropped.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, to address: SocketAddress) -> Bool {
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
    private static func bind(host: String, port: UInt16, receiveBuffer: CInt?) throws -> (channel: CInt, own: CInt) {
        // A name (`--sip-listen localhost:5060`) is looked up, at start; media addresses are literals.
        let address = try (try? SocketAddress(ipAddress: host, port: Int(port)))
            ?? SocketAddress.makeAddressResolvingHost(host, port: Int(port))
        let family = address.protocol.rawValue
        let fd = Glibc.socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var one: CInt = 1
        var result = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
        if result == 0, var size = receiveBuffer {
            result = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        }
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
