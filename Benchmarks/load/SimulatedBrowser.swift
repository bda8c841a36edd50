import Foundation
import HummingbirdWSClient
import Identifiers
import Logging
import NIOCore
import NIOPosix
import WebRTC

/// One simulated browser in one call: it signs in over the gateway's
/// WebSocket, calls `to` with an offer as a browser makes it (ICE full agent,
/// DTLS actpass, one codec), runs its `PeerSession` on a UDP socket of its
/// own, then sends 50 packets a second and measures what comes back. Its
/// state is confined to `loop`.
final class SimulatedBrowser: @unchecked Sendable {
    let user: String
    let loop: EventLoop
    private(set) var probe: MediaProbe
    private(set) var callStartedAt: UInt64?
    private(set) var answeredAt: UInt64?
    private(set) var failure: String?
    /// Answered, with its media connected (ICE, DTLS, SRTP keys).
    var isUp: Bool { mediaUp && answeredAt != nil && failure == nil }
    private var mediaUp = false
    private var channel: Channel?
    private var session: PeerSession?
    private var timer: Scheduled<Void>?
    private var remote: SocketAddress?
    private var signaling: WebSocketOutboundWriter?
    /// The call's id (the gateway takes ids unique among its calls).
    private let callID = "c" + Random.token(12)
    private let ufrag = Random.token(8)
    private let pwd = Random.token(24)
    private let identity: DTLSIdentity

    init(user: String, loop: EventLoop, identity: DTLSIdentity, payload: MediaProbe.Payload) {
        self.user = user
        self.loop = loop
        self.identity = identity
        probe = MediaProbe(payload: payload)
    }

    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds / 1000 }

    /// Signs in and calls `to`; returns when the signaling connection closes (after `hangUp`, or a failure).
    func run(gateway: String, password: String, to: String, logger: Logger) async {
        do {
            let channel = try await DatagramBootstrap(group: loop)
                .channelInitializer { $0.pipeline.addHandler(Reader(browser: self)) }
                .bind(host: "127.0.0.1", port: 0).get()
            let port = channel.localAddress?.port ?? 0
            try await loop.submit { self.channel = channel }.get()
            try await WebSocketClient.connect(url: "ws://\(gateway)/ws", logger: logger) { inbound, outbound, _ in
                try await self.loop.submit { self.signaling = outbound }.get()
                try await outbound.write(.text(Self.json(["type": "sign-in", "user": self.user, "password": password])))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message, let event = Self.object(text), let type = event["type"] as? String
                    else { continue }
                    switch type {
                    case "signed-in":
                        let offer = self.offer(port: port)
                        try await self.loop.submit { self.callStartedAt = Self.now() }.get()
                        try await outbound.write(.text(Self.json(["type": "call", "call": self.callID, "to": to, "sdp": offer])))
                    case "sdp":
                        let sdp = event["sdp"] as? String ?? ""
                        self.loop.execute { self.answer(sdp) }
                    case "answered":
                        self.loop.execute { self.answeredAt = Self.now() }
                    case "ended", "error":
                        let why = "\(type): \(event["cause"] as? String ?? event["code"].map { "\($0)" } ?? "") " +
                            "\(event["reason"] as? String ?? event["message"] as? String ?? "")"
                        self.loop.execute { self.fail(why) }
                        try await outbound.close(.normalClosure, reason: nil)
                    default:
                        break
                    }
                }
            }
        } catch {
            loop.execute { self.fail("signaling: \(error)") }
        }
        loop.execute {
            self.mediaUp = false
            self.channel?.close(promise: nil)
        }
    }

    /// Hangs up and closes the signaling connection.
    func hangUp() async {
        guard let signaling = try? await loop.submit({ self.signaling }).get() else { return }
        try? await signaling.write(.text(Self.json(["type": "hangup", "call": callID])))
        try? await signaling.close(.normalClosure, reason: nil)
    }

    /// One 20 ms tick: the next packet, once connected.
    func tick(now: UInt64) {
        guard mediaUp, let session, let channel, let remote, let packet = session.protect(probe.next(now: now)) else { return }
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: channel.allocator.buffer(bytes: packet)),
                              promise: nil)
    }

    func resetCounters() { probe.resetCounters() }

    // MARK: on the loop

    private func answer(_ sdp: String) {
        guard let parsed = PeerSession.Remote(answer: sdp), let address = try? SocketAddress(ipAddress: parsed.host,
                                                                                             port: Int(parsed.port)) else {
            return fail("an answer without ICE credentials, fingerprint or candidate")
        }
        do {
            session = try PeerSession(localUfrag: ufrag, remote: parsed, identity: identity, now: Self.now())
        } catch {
            return fail("DTLS: \(error)")
        }
        remote = address
        drive(now: Self.now())
    }

    fileprivate func received(_ datagram: [UInt8]) {
        guard let session else { return }
        let now = Self.now()
        let (out, rtp) = session.receive(datagram, now: now)
        send(out)
        if let rtp { probe.received(rtp, now: now) }
        // Up, the timer runs the consent checks by itself: no re-arming per packet.
        guard !mediaUp else { return }
        if session.state == .connected { mediaUp = true }
        drive(now: now)
    }

    private func drive(now: UInt64) {
        guard let session else { return }
        send(session.poll(now: now))
        if case .failed(let why) = session.state { return fail(why) }
        timer?.cancel()
        guard let due = session.nextTimeout else { return }
        timer = loop.scheduleTask(in: .microseconds(Int64(due > now ? due - now : 0))) { [weak self] in
            self?.drive(now: Self.now())
        }
    }

    private func send(_ datagrams: [[UInt8]]) {
        guard let channel, let remote else { return }
        for d in datagrams {
            channel.write(AddressedEnvelope(remoteAddress: remote, data: channel.allocator.buffer(bytes: d)), promise: nil)
        }
        if !datagrams.isEmpty { channel.flush() }
    }

    private func fail(_ why: String) {
        if failure == nil { failure = why }
        mediaUp = false
    }

    // MARK: the offer and JSON

    private func offer(port: Int) -> String {
        let (payloadType, rtpmap): (Int, String) = switch probe.payload {
        case .pcmuProbe: (0, "PCMU/8000")
        case .opus: (111, "opus/48000/2")
        }
        return [
            "v=0", "o=- \(Random.digits(10)) 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
            "m=audio \(port) UDP/TLS/RTP/SAVPF \(payloadType)", "c=IN IP4 127.0.0.1", "a=mid:0",
            "a=ice-ufrag:\(ufrag)", "a=ice-pwd:\(pwd)",
            "a=fingerprint:\(identity.fingerprint.algorithm) \(identity.fingerprint.value)", "a=setup:actpass",
            "a=rtcp-mux", "a=rtpmap:\(payloadType) \(rtpmap)", "a=sendrecv", "a=ssrc:\(probe.ssrc) cname:load",
            "a=candidate:1 1 udp 2122260223 127.0.0.1 \(port) typ host", "",
        ].joined(separator: "\r\n")
    }

    static func json(_ object: [String: String]) -> String {
        (try? JSONSerialization.data(withJSONObject: object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }
}

/// The browser's UDP socket: every datagram to it, on its loop.
private final class Reader: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let browser: SimulatedBrowser

    init(browser: SimulatedBrowser) { self.browser = browser }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        browser.received(Array(envelope.data.readableBytesView))
    }
}
