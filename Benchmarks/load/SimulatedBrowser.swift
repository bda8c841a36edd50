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
    private var nextSendAt: UInt64 = 0
    private var channel: Channel?
    private var session: PeerSession?
    private var timer: Scheduled<Void>?
    private var remote: SocketAddress?
    private var signaling: WebSocketOutboundWriter?
    /// Through rtpengine: its control and our from-tag; the far end's echo socket.
    private var rtpengine: (RTPEngineControl, String)?
    private var echo: Channel?
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

    /// The same call through rtpengine instead of the gateway, as a SIP proxy drives it (ng offer and answer):
    /// the browser's offer goes to a far end on the generator's own echo socket, whose answer comes back with
    /// rtpengine's ICE and DTLS (transcoding when the browser offered Opus only).
    func run(rtpengine control: RTPEngineControl) async {
        do {
            let browser = try await DatagramBootstrap(group: loop)
                .channelInitializer { $0.pipeline.addHandler(Reader(browser: self)) }
                .bind(host: "127.0.0.1", port: 0).get()
            let echo = try await DatagramBootstrap(group: loop)
                .channelInitializer { $0.pipeline.addHandler(Echo()) }
                .bind(host: "127.0.0.1", port: 0).get()
            try await loop.submit {
                self.channel = browser
                self.echo = echo
                self.callStartedAt = Self.now()
            }.get()
            let fromTag = Random.token(10), toTag = Random.token(10)
            let transcoding: Bool = if case .opus = probe.payload { true } else { false }
            var offer: [String: Bencode] = [
                "command": .string("offer"), "call-id": .string(callID), "from-tag": .string(fromTag),
                "sdp": .string(self.offer(port: browser.localAddress?.port ?? 0)), "ICE": .string("remove"),
                "DTLS": .string("off"), "transport-protocol": .string("RTP/AVP"), "rtcp-mux": .list([.string("demux")]),
            ]
            if transcoding {
                offer["codec"] = .dictionary(["transcode": .list([.string("PCMU")]), "mask": .list([.string("opus")])])
            }
            _ = try await control.command(offer)
            let farEnd = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
                          "m=audio \(echo.localAddress?.port ?? 0) RTP/AVP 0", "a=rtpmap:0 PCMU/8000", "a=sendrecv", ""]
                .joined(separator: "\r\n")
            let answer = try await control.command([
                "command": .string("answer"), "call-id": .string(callID), "from-tag": .string(fromTag),
                "to-tag": .string(toTag), "sdp": .string(farEnd), "ICE": .string("force"), "DTLS": .string("passive"),
            ])
            guard let sdp = answer["sdp"]?.text else { throw RTPEngineControl.Failure.refused("an answer without SDP") }
            try await loop.submit {
                self.answeredAt = Self.now()
                self.rtpengine = (control, fromTag)
                self.answer(sdp)
            }.get()
        } catch {
            loop.execute { self.fail("rtpengine: \(error)") }
        }
    }

    /// Hangs up and closes the signaling connection (through rtpengine: deletes the call).
    func hangUp() async {
        if let (control, fromTag) = try? await loop.submit({ self.rtpengine }).get() {
            _ = try? await control.command(["command": .string("delete"), "call-id": .string(callID),
                                            "from-tag": .string(fromTag)])
            loop.execute {
                self.channel?.close(promise: nil)
                self.echo?.close(promise: nil)
            }
            return
        }
        guard let signaling = try? await loop.submit({ self.signaling }).get() else { return }
        try? await signaling.write(.text(Self.json(["type": "hangup", "call": callID])))
        try? await signaling.close(.normalClosure, reason: nil)
    }

    /// A tick of the loop's timer: the packets due since the last (one every 20 ms from the connection on, so a
    /// late timer does not lower the rate; at most a few at once after a long stall).
    func tick(now: UInt64) {
        guard mediaUp, let session, let channel, let remote else { return }
        if nextSendAt == 0 || now &- nextSendAt > 100_000 { nextSendAt = now }
        while nextSendAt <= now {
            nextSendAt += 20_000
            guard let packet = session.protect(probe.next(now: now)) else { return }
            channel.write(AddressedEnvelope(remoteAddress: remote, data: channel.allocator.buffer(bytes: packet)), promise: nil)
        }
        channel.flush()
    }

    func resetCounters(now: UInt64) { probe.resetCounters(now: now) }

    // MARK: on the loop

    private func answer(_ sdp: String) {
        guard let parsed = PeerSession.Remote(answer: sdp), let address = try? SocketAddress(ipAddress: parsed.host,
                                                                                             port: Int(parsed.port)) else {
            return fail("an answer without ICE credentials, fingerprint or candidate")
        }
        do {
            session = try PeerSession(localUfrag: ufrag, localPwd: pwd, remote: parsed, identity: identity, now: Self.now())
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

/// The far end of a call through rtpengine: every datagram back where it came from.
private final class Echo: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: envelope.data)),
                              promise: nil)
    }
}
