import MediaCore
import MediaTypes
import NIOCore
import NIOPosix
import SIPEndpoint

/// The media of the `tone` test number: a 1 kHz tone at −12 dBFS in G.711,
/// 20 ms a packet, sent to the caller's RTP address; what it sends is ignored.
final class RTPToneHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    static let frequency = 1000.0
    private let destination: SocketAddress
    private let payloadType: UInt8
    private let encoder: AudioEncoder
    private var tone = SineTone(frequency: RTPToneHandler.frequency, sampleRate: 8000)
    private var sequence = UInt16.random(in: 0...0x7fff)
    private var timestamp = UInt32.random(in: 0...UInt32.max)
    private let ssrc = UInt32.random(in: 1...UInt32.max)
    private var task: RepeatedTask?

    init(destination: SocketAddress, codec: AudioCodec, payloadType: UInt8) throws {
        self.destination = destination
        self.payloadType = payloadType
        encoder = try AudioEncoder(codec: codec, sampleRate: 8000)
    }

    func channelActive(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        task = context.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(20)) { _ in
            bound.value.handler.sendFrame(bound.value.context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) { task?.cancel() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func sendFrame(_ context: ChannelHandlerContext) {
        guard let payload = try? encoder.encode(tone.next(160)) else { return }
        let packet = RTPPacket(payloadType: payloadType, sequence: sequence, timestamp: timestamp, ssrc: ssrc,
                               marker: false, payload: payload)
        sequence &+= 1
        timestamp &+= 160
        let buffer = context.channel.allocator.buffer(bytes: packet.bytes)
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: destination, data: buffer)), promise: nil)
    }
}

enum RTPToneSocket {
    static func open(on loop: EventLoop, host: String, port: UInt16, to destination: SocketAddress, codec: AudioCodec,
                     payloadType: UInt8) -> EventLoopFuture<Channel> {
        DatagramBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RTPToneHandler(destination: destination, codec: codec, payloadType: payloadType))
                }
            }
            .bind(host: host, port: Int(port))
    }
}
