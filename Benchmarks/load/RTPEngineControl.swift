import Identifiers
import NIOCore
import NIOPosix

/// A client of rtpengine's ng control protocol (bencoded dictionaries over
/// UDP, each behind a cookie): the load generator offers and answers through
/// it as a SIP proxy would, so the same simulated browsers measure rtpengine.
final class RTPEngineControl: @unchecked Sendable {
    enum Failure: Error { case noAnswer, refused(String) }

    private let channel: Channel
    private let server: SocketAddress
    /// Commands waiting for their answer, by cookie; on the channel's loop.
    private var waiting: [String: EventLoopPromise<Bencode>] = [:]

    private init(channel: Channel, server: SocketAddress) {
        self.channel = channel
        self.server = server
    }

    static func connect(to host: String, port: Int, group: EventLoopGroup) async throws -> RTPEngineControl {
        let server = try SocketAddress(ipAddress: host, port: port)
        let box = Box()
        // An answer can be large (a delete's carries every stream's statistics): room for any datagram.
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { $0.pipeline.addHandler(Reader(box: box)) }
            .bind(host: "127.0.0.1", port: 0).get()
        let control = RTPEngineControl(channel: channel, server: server)
        box.control = control
        return control
    }

    /// One command; its answer's dictionary once `result` is ok.
    func command(_ fields: [String: Bencode]) async throws -> Bencode {
        let cookie = Random.token(12)
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: Bencode.self)
        loop.execute {
            self.waiting[cookie] = promise
            let bytes = Array("\(cookie) ".utf8) + Bencode.dictionary(fields).bytes
            self.channel.writeAndFlush(AddressedEnvelope(remoteAddress: self.server, data: self.channel.allocator.buffer(bytes: bytes)),
                                       promise: nil)
            loop.scheduleTask(in: .seconds(5)) { self.waiting.removeValue(forKey: cookie)?.fail(Failure.noAnswer) }
        }
        let answer = try await promise.futureResult.get()
        guard answer["result"]?.text == "ok" else {
            throw Failure.refused(answer["error-reason"]?.text ?? answer["result"]?.text ?? "?")
        }
        return answer
    }

    fileprivate func received(_ bytes: [UInt8]) {
        guard let space = bytes.firstIndex(of: UInt8(ascii: " ")) else { return }
        let cookie = String(decoding: bytes[..<space], as: UTF8.self)
        var index = space + 1
        guard let answer = Bencode.decode(bytes, &index) else { return }
        waiting.removeValue(forKey: cookie)?.succeed(answer)
    }

    private final class Box: @unchecked Sendable { weak var control: RTPEngineControl? }

    private final class Reader: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let box: Box
        init(box: Box) { self.box = box }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            box.control?.received(Array(unwrapInboundIn(data).data.readableBytesView))
        }
    }
}
