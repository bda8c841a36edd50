import CGatewayMedia
import MediaCore

/// One simulated call through the media core, on a simulated clock.
struct MediaDemo {
    let seconds: Int
    private let frameUs: UInt64 = 20_000

    func run() throws -> String {
        var cfg = MediaBridge.defaultConfig()
        cfg.legs.0.ssrc = 0x1111_1111
        cfg.legs.1.ssrc = 0x2222_2222
        let bridge = try MediaBridge(config: cfg)

        // Both ends of the browser leg share one SRTP key per direction.
        let browserToGateway = (0..<30).map { UInt8($0) }
        let gatewayToBrowser = (0..<30).map { UInt8(0xff - $0) }
        try bridge.setSRTP(GWM_SRTP_AES128_CM_SHA1_80, on: GWM_LEG_A,
                           sendKey: gatewayToBrowser, receiveKey: browserToGateway)
        let browserSend = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_SEND,
                                          key: browserToGateway)
        let browserReceive = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_RECEIVE,
                                             key: gatewayToBrowser)

        var browserTone = SineTone(frequency: 1000, sampleRate: 48000)
        var phoneTone = SineTone(frequency: 440, sampleRate: 8000)
        let opus = try AudioEncoder(codec: .opus, sampleRate: 48000)
        let pcmu = try AudioEncoder(codec: .pcmu, sampleRate: 8000)
        let browserDecoder = try AudioDecoder(codec: .opus, sampleRate: 48000)
        let phoneDecoder = try AudioDecoder(codec: .pcmu, sampleRate: 8000)
        var heardByPhone: [Int16] = []
        var heardByBrowser: [Int16] = []

        let frames = seconds * 50
        for n in 0..<frames + 20 {
            let now = UInt64(n) * frameUs
            if n < frames {
                let opusPacket = RTPPacket(payloadType: 111, sequence: UInt16(n), timestamp: UInt32(n * 960),
                                           ssrc: 0xB0B0_0001, payload: try opus.encode(browserTone.next(960)))
                try bridge.receive(try browserSend.protect(opusPacket.bytes), on: GWM_LEG_A, now: now)
                let pcmuPacket = RTPPacket(payloadType: 0, sequence: UInt16(n), timestamp: UInt32(n * 160),
                                           ssrc: 0x5199_0001, payload: try pcmu.encode(phoneTone.next(160)))
                try bridge.receive(pcmuPacket.bytes, on: GWM_LEG_B, now: now)
            }
            for out in bridge.poll(now: now) where !out.isRTCP {
                if out.leg == GWM_LEG_B {
                    heardByPhone += try phoneDecoder.decode(try RTPPacket(parsing: out.bytes).payload)
                } else {
                    let rtp = try RTPPacket(parsing: try browserReceive.unprotect(out.bytes))
                    heardByBrowser += try browserDecoder.decode(rtp.payload)
                }
            }
        }
        return describe(bridge: bridge, heardByPhone: heardByPhone, heardByBrowser: heardByBrowser)
    }

    private func describe(bridge: MediaBridge, heardByPhone: [Int16], heardByBrowser: [Int16]) -> String {
        func line(_ who: String, _ pcm: [Int16], rate: Double, sent: Double) -> String {
            let steady = pcm[pcm.count / 4..<pcm.count * 3 / 4] // clear of the start and the fade-out
            let heard = ToneAnalysis.dominantFrequency(steady, sampleRate: rate, candidates: [440, 1000, 2000])
            let level = ToneAnalysis.toneLevel(steady, frequency: sent, sampleRate: rate)
            return "\(who) heard \(Int(heard)) Hz (sent \(Int(sent)) Hz) at \(String(format: "%.1f", level)) dBFS"
        }
        var text = "media core \(String(cString: gwm_version())): \(seconds) s call, "
        text += bridge.isRelaying ? "relaying\n" : "transcoding Opus/SRTP <-> PCMU/RTP\n"
        text += line("  SIP phone", heardByPhone, rate: 8000, sent: 1000) + "\n"
        text += line("  browser  ", heardByBrowser, rate: 48000, sent: 440) + "\n"
        for (name, leg) in [("A (browser)", GWM_LEG_A), ("B (SIP)", GWM_LEG_B)] {
            let s = bridge.stats(leg)
            text += "  leg \(name): rx \(s.packets_received) pkts, tx \(s.packets_sent) pkts, "
            text += "rtcp tx \(s.rtcp_sent), lost \(s.cumulative_lost), concealed \(s.concealed), "
            text += "jitter buffer delay \(s.jitter.current_delay_ms) ms\n"
        }
        return text
    }
}
