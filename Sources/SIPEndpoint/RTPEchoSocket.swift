import NIOCore
import NIOPosix

/// The media of the `echo` test number: every RTP and RTCP datagram goes
/// back to where it came from, unchanged.
final class RTPEchoHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: envelope.data)), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }
}

public enum RTPEchoSocket {
    public static func open(on loop: EventLoop, host: String, port: UInt16) -> EventLoopFuture<Channel> {
        DatagramBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(RTPEchoHandler()) }
            }
            .bind(host: host, port: Int(port))
    }
}
