import NIOCore

/// The outgoing buffer of a media socket, kept from one datagram to the next
/// so that sending makes no heap allocation: a UDP socket takes a datagram at
/// once when it is writable, and the buffer is then this one's alone again.
/// While a datagram still waits in the channel, the next send gets fresh
/// storage (copy on write), so nothing queued is overwritten.
struct DatagramSendBuffer {
    private var buffer: ByteBuffer

    /// `capacity` covers a media datagram on an Ethernet path; larger ones grow it once.
    init(allocator: ByteBufferAllocator, capacity: Int = 1500) {
        buffer = allocator.buffer(capacity: capacity)
    }

    /// `bytes` to `destination`, ready to write.
    mutating func envelope(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress) -> AddressedEnvelope<ByteBuffer> {
        buffer.clear()
        buffer.writeBytes(bytes)
        return AddressedEnvelope(remoteAddress: destination, data: buffer)
    }
}
