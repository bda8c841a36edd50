import CGatewayMedia
import MediaCore
import Testing

/// RFC 4733 telephone-events crossing the bridge.
@Suite struct BridgeDTMFTests {
    /// event, E bit, volume 10, duration
    private func event(_ code: UInt8, end: Bool, duration: UInt16) -> [UInt8] {
        [code, (end ? 0x80 : 0) | 10, UInt8(duration >> 8), UInt8(duration & 0xff)]
    }

    private func sendEvent(_ bridge: MediaBridge, on leg: gwm_leg, pt: UInt8, step: UInt16,
                           firstSeq: UInt16, ts: UInt32) throws -> [RTPPacket] {
        var out: [RTPPacket] = []
        for i in 0..<8 {
            let end = i >= 5 // the final packet is sent three times
            let duration = end ? step * 5 : step * UInt16(i + 1)
            let p = RTPPacket(payloadType: pt, sequence: firstSeq &+ UInt16(i), timestamp: ts, ssrc: 0x51,
                              marker: i == 0, payload: event(5, end: end, duration: duration))
            let now = UInt64(i) * 20_000
            try bridge.receive(p.bytes, on: leg, now: now)
            out += try bridge.poll(now: now).filter { !$0.isRTCP }.map { try $0.rtp }
        }
        return out
    }

    @Test func browserEventsReachTheSIPLegAtEightKilohertz() throws {
        let bridge = try MediaBridge(config: testBridgeConfig(a: GWM_CODEC_OPUS, b: GWM_CODEC_PCMU))
        let out = try sendEvent(bridge, on: GWM_LEG_A, pt: 126, step: 960, firstSeq: 40, ts: 96_000)
        try #require(out.count == 8)
        #expect(out.allSatisfy { $0.payloadType == 101 && $0.ssrc == 0xB0B0_0002 })
        #expect(Set(out.map(\.timestamp)).count == 1)  // one event, one timestamp
        #expect(out.map(\.marker) == [true] + Array(repeating: false, count: 7))
        let durations = out.map { UInt16($0.payload[2]) << 8 | UInt16($0.payload[3]) }
        #expect(durations == [160, 320, 480, 640, 800, 800, 800, 800])
        #expect(out.allSatisfy { $0.payload[0] == 5 && $0.payload[1] & 0x3f == 10 })
        #expect(out.map { $0.payload[1] & 0x80 != 0 } == Array(repeating: false, count: 5) + Array(repeating: true, count: 3))
        for (a, b) in zip(out, out.dropFirst()) { #expect(b.sequence == a.sequence &+ 1) }
        #expect(bridge.stats(GWM_LEG_A).dtmf_received == 8)
    }

    @Test func sipEventsReachTheBrowserAtFortyEightKilohertz() throws {
        let bridge = try MediaBridge(config: testBridgeConfig(a: GWM_CODEC_OPUS, b: GWM_CODEC_PCMU))
        let out = try sendEvent(bridge, on: GWM_LEG_B, pt: 101, step: 160, firstSeq: 7, ts: 8000)
        #expect(out.allSatisfy { $0.payloadType == 126 })
        let durations = out.map { UInt16($0.payload[2]) << 8 | UInt16($0.payload[3]) }
        #expect(durations == [960, 1920, 2880, 3840, 4800, 4800, 4800, 4800])
    }

    @Test func relayMapsThePayloadTypeAndKeepsTheAudioTimeline() throws {
        var cfg = testBridgeConfig(a: GWM_CODEC_PCMU, b: GWM_CODEC_PCMU)
        cfg.legs.0.dtmf_payload_type = 101
        cfg.legs.1.dtmf_payload_type = 96
        let bridge = try MediaBridge(config: cfg)
        let audio = RTPPacket(payloadType: 0, sequence: 39, timestamp: 7840, ssrc: 0x51, payload: [0xff])
        try bridge.receive(audio.bytes, on: GWM_LEG_A, now: 0)
        let first = try bridge.poll(now: 0)[0].rtp
        let out = try sendEvent(bridge, on: GWM_LEG_A, pt: 101, step: 160, firstSeq: 40, ts: 8000)
        #expect(out.allSatisfy { $0.payloadType == 96 })
        #expect(out[0].sequence == first.sequence &+ 1)
        #expect(out[0].timestamp == first.timestamp &+ 160)
    }

    @Test func eventsToALegWithoutTelephoneEventAreDropped() throws {
        var cfg = testBridgeConfig(a: GWM_CODEC_OPUS, b: GWM_CODEC_PCMU)
        cfg.legs.1.dtmf_payload_type = -1
        let bridge = try MediaBridge(config: cfg)
        let p = RTPPacket(payloadType: 126, sequence: 1, timestamp: 0, ssrc: 1, payload: event(1, end: false, duration: 960))
        #expect(throws: MediaError.self) { try bridge.receive(p.bytes, on: GWM_LEG_A, now: 0) }
        let short = RTPPacket(payloadType: 126, sequence: 2, timestamp: 0, ssrc: 1, payload: [1, 2])
        #expect(throws: MediaError.malformed) { try bridge.receive(short.bytes, on: GWM_LEG_A, now: 0) }
        #expect(bridge.poll(now: 0).isEmpty)
    }
}
