import CGatewayMedia
import MediaCore
import Testing

@Suite struct BridgeRelayTests {
    static let keyAB = (0..<30).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    static let keyBA = (0..<30).map { UInt8(truncatingIfNeeded: $0 &* 11 &+ 1) }

    private func relayBridge() throws -> MediaBridge {
        var cfg = testBridgeConfig(a: GWM_CODEC_PCMU, b: GWM_CODEC_PCMU)
        cfg.legs.1.payload_type = 18 // the same codec under another payload type number
        cfg.rtcp_interval_ms = 0
        return try MediaBridge(config: cfg)
    }

    @Test func rewritesHeaderAndStripsIncomingExtensions() throws {
        let bridge = try relayBridge()
        #expect(bridge.isRelaying)
        // Leg A sends with a CSRC, a header extension and padding.
        let incoming = hex("""
            b1 00 0100 00001000 0000abcd 00000009
            bede 0001 10 ff 0000
            01020304 00 00 00 04
            """)
        try bridge.receive(incoming, on: GWM_LEG_A, now: 0)
        let out = bridge.poll(now: 0)
        try #require(out.count == 1)
        #expect(out[0].leg == GWM_LEG_B && !out[0].isRTCP)
        let rtp = try out[0].rtp
        #expect(out[0].bytes.count == 16)
        #expect(rtp.payloadType == 18 && rtp.ssrc == 0xB0B0_0002 && rtp.payload == [1, 2, 3, 4])
        #expect(rtp.sequence == 2000 && rtp.timestamp == 20_000)

        // The next packets keep the incoming spacing, reordering and gaps.
        for (seq, ts) in [(0x0102, 0x1000 + 320), (0x0101, 0x1000 + 160)] as [(UInt16, UInt32)] {
            let p = RTPPacket(payloadType: 0, sequence: seq, timestamp: ts, ssrc: 0xabcd, payload: [9])
            try bridge.receive(p.bytes, on: GWM_LEG_A, now: 20_000)
        }
        let later = try bridge.poll(now: 20_000).map { try $0.rtp }
        #expect(later.map(\.sequence) == [2002, 2001])
        #expect(later.map(\.timestamp) == [20_320, 20_160])
    }

    @Test func srtpInPlainOutAndBack() throws {
        let bridge = try relayBridge()
        try bridge.setSRTP(GWM_SRTP_AES128_CM_SHA1_80, on: GWM_LEG_A, sendKey: Self.keyBA, receiveKey: Self.keyAB)
        let browserTx = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_SEND, key: Self.keyAB)
        let browserRx = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_RECEIVE, key: Self.keyBA)
        let fromBrowser = RTPPacket(payloadType: 0, sequence: 5, timestamp: 800, ssrc: 0x77, payload: [1, 2, 3])
        try bridge.receive(try browserTx.protect(fromBrowser.bytes), on: GWM_LEG_A, now: 0)
        let toPhone = try #require(bridge.poll(now: 0).first)
        #expect(try toPhone.rtp.payload == [1, 2, 3])

        let fromPhone = RTPPacket(payloadType: 18, sequence: 9, timestamp: 99, ssrc: 0x88, payload: [4, 5])
        try bridge.receive(fromPhone.bytes, on: GWM_LEG_B, now: 0)
        let toBrowser = try #require(bridge.poll(now: 0).first)
        let clear = try RTPPacket(parsing: try browserRx.unprotect(toBrowser.bytes))
        #expect(clear.payload == [4, 5] && clear.payloadType == 0 && clear.ssrc == 0xA0A0_0001)
    }

    /// Hold, re-INVITE and a new SSRC from the peer, across more than 65,536
    /// packets: the browser's SRTP receiver must decrypt every packet, which
    /// fails if the sequence or the rollover counter ever restarts.
    @Test func outgoingStreamStaysContinuousAcrossHoldAndSSRCChange() throws {
        var cfg = testBridgeConfig(a: GWM_CODEC_PCMU, b: GWM_CODEC_PCMU)
        cfg.rtcp_interval_ms = 0
        cfg.legs.0.initial_sequence = 65_000 // wrap early, and again later
        let bridge = try MediaBridge(config: cfg)
        try bridge.setSRTP(GWM_SRTP_AES128_CM_SHA1_80, on: GWM_LEG_A, sendKey: Self.keyBA, receiveKey: Self.keyAB)
        let browserRx = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_RECEIVE, key: Self.keyBA)

        var lastSeq: UInt16?
        var lastTs: UInt32 = 0
        var received = 0
        var now: UInt64 = 0
        func sendFromPhone(ssrc: UInt32, firstSeq: UInt16, firstTs: UInt32, count: Int) throws {
            for i in 0..<count {
                let p = RTPPacket(payloadType: 0, sequence: firstSeq &+ UInt16(truncatingIfNeeded: i),
                                  timestamp: firstTs &+ UInt32(i) * 160, ssrc: ssrc, payload: [UInt8](repeating: 0xff, count: 160))
                try bridge.receive(p.bytes, on: GWM_LEG_B, now: now)
                for out in bridge.poll(now: now) {
                    let rtp = try RTPPacket(parsing: try browserRx.unprotect(out.bytes))
                    #expect(rtp.ssrc == 0xA0A0_0001)
                    if let last = lastSeq {
                        if rtp.sequence != last &+ 1 { Issue.record("sequence jumped \(last) -> \(rtp.sequence)") }
                        if rtp.timestamp &- lastTs == 0 || rtp.timestamp &- lastTs > 1 << 30 {
                            Issue.record("timestamp went backwards at \(rtp.sequence)")
                        }
                    }
                    lastSeq = rtp.sequence
                    lastTs = rtp.timestamp
                    received += 1
                }
                now += 20_000
            }
        }
        try sendFromPhone(ssrc: 0x1111, firstSeq: 60_000, firstTs: 0, count: 35_000)
        // Hold: the gateway stops sending to the browser, the phone goes quiet.
        try bridge.setDirection(GWM_RECVONLY, on: GWM_LEG_A)
        now += 30_000_000
        // Resume by re-INVITE: new payload type numbers, sendrecv again; the phone
        // restarts with a new SSRC and an unrelated sequence number.
        var updated = cfg.legs.1
        updated.payload_type = 8
        updated.codec = GWM_CODEC_PCMA
        var browserSide = cfg.legs.0
        browserSide.codec = GWM_CODEC_PCMA
        browserSide.payload_type = 8
        try bridge.update(browserSide, on: GWM_LEG_A)
        try bridge.update(updated, on: GWM_LEG_B)
        try bridge.setDirection(GWM_SENDRECV, on: GWM_LEG_A)
        let tsBeforeHold = lastTs
        for i in 0..<35_000 {
            let p = RTPPacket(payloadType: 8, sequence: 1234 &+ UInt16(truncatingIfNeeded: i), timestamp: 5 &+ UInt32(i) * 160,
                              ssrc: 0x2222, payload: [UInt8](repeating: 0xd5, count: 160))
            try bridge.receive(p.bytes, on: GWM_LEG_B, now: now)
            for out in bridge.poll(now: now) {
                let rtp = try RTPPacket(parsing: try browserRx.unprotect(out.bytes))
                if rtp.sequence != lastSeq! &+ 1 { Issue.record("sequence jumped \(lastSeq!) -> \(rtp.sequence)") }
                if i == 0 { #expect(rtp.timestamp &- tsBeforeHold >= 30 * 8000) } // the hold shows in time
                lastSeq = rtp.sequence
                received += 1
            }
            now += 20_000
        }
        #expect(received == 70_000)
        #expect(browserRx.stats.auth_failures == 0 && browserRx.stats.replays == 0)
        let stats = bridge.stats(GWM_LEG_A)
        #expect(stats.send_rollover == 2)
        #expect(bridge.stats(GWM_LEG_B).ssrc_changes == 1)
    }

    @Test func holdDirectionsGateEachWay() throws {
        let bridge = try relayBridge()
        let fromA = RTPPacket(payloadType: 0, sequence: 1, timestamp: 0, ssrc: 1, payload: [1]).bytes
        let fromB = RTPPacket(payloadType: 18, sequence: 1, timestamp: 0, ssrc: 2, payload: [2]).bytes
        try bridge.setDirection(GWM_SENDONLY, on: GWM_LEG_A) // A is on hold: we ignore what it sends
        #expect(throws: MediaError.self) { try bridge.receive(fromA, on: GWM_LEG_A, now: 0) }
        try bridge.receive(fromB, on: GWM_LEG_B, now: 0)
        #expect(bridge.poll(now: 0).map(\.leg) == [GWM_LEG_A])
        try bridge.setDirection(GWM_INACTIVE, on: GWM_LEG_A)
        try bridge.receive(fromB, on: GWM_LEG_B, now: 20_000)
        #expect(bridge.poll(now: 20_000).isEmpty)
        #expect(bridge.stats(GWM_LEG_A).dropped == 2)
    }

    @Test func badInputIsRejectedAndChangesNothing() throws {
        let bridge = try relayBridge()
        try bridge.setSRTP(GWM_SRTP_AES128_CM_SHA1_80, on: GWM_LEG_A, sendKey: Self.keyBA, receiveKey: Self.keyAB)
        var rng = SeededRandom(seed: 3)
        let wrongKey = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_SEND,
                                       key: [UInt8](repeating: 9, count: 30))
        var bad: [([UInt8], gwm_leg)] = [
            ([], GWM_LEG_B),
            ([0x80, 0x00, 0x00], GWM_LEG_B),
            ([UInt8](repeating: 0x80, count: 2000), GWM_LEG_B),
            (hex("a0 00 0001 00000002 00000003 aabb 09"), GWM_LEG_B),
            (RTPPacket(payloadType: 99, sequence: 1, timestamp: 0, ssrc: 5, payload: [1]).bytes, GWM_LEG_B),
            (hex("81c9 0007 00000001"), GWM_LEG_B),
            (try wrongKey.protect(RTPPacket(payloadType: 0, sequence: 1, timestamp: 0, ssrc: 5, payload: [1]).bytes), GWM_LEG_A),
            (RTPPacket(payloadType: 0, sequence: 1, timestamp: 0, ssrc: 5, payload: [1]).bytes, GWM_LEG_A), // plain on an SRTP leg
        ]
        for _ in 0..<200 { bad.append(((0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, GWM_LEG_B)) }
        for (packet, leg) in bad {
            #expect(throws: MediaError.self) { try bridge.receive(packet, on: leg, now: 0) }
        }
        #expect(bridge.poll(now: 0).isEmpty)
        let a = bridge.stats(GWM_LEG_A), b = bridge.stats(GWM_LEG_B)
        #expect(a.srtp_auth_failures >= 1 && a.srtp_auth_failures + a.srtp_other_failures == 2 && a.packets_received == 0)
        #expect(b.packets_received == 0 && b.malformed + b.unknown_payload >= 6)
        // A good packet still flows with the first sequence number.
        try bridge.receive(RTPPacket(payloadType: 18, sequence: 1, timestamp: 0, ssrc: 5, payload: [1]).bytes, on: GWM_LEG_B, now: 0)
        let out = bridge.poll(now: 0)
        #expect(out.count == 1)
    }

    @Test func aLegThatRequiresSRTPCarriesNothingBeforeItsKeys() throws {
        var cfg = testBridgeConfig(a: GWM_CODEC_PCMU, b: GWM_CODEC_PCMU)
        cfg.legs.0.require_srtp = 1
        cfg.rtcp_interval_ms = 0
        let bridge = try MediaBridge(config: cfg)
        let fromPhone = RTPPacket(payloadType: 0, sequence: 1, timestamp: 0, ssrc: 2, payload: [1]).bytes
        try bridge.receive(fromPhone, on: GWM_LEG_B, now: 0)
        #expect(bridge.poll(now: 0).isEmpty)         // no RTP to the browser before DTLS is done
        let plain = RTPPacket(payloadType: 0, sequence: 1, timestamp: 0, ssrc: 3, payload: [1]).bytes
        #expect(throws: MediaError.self) { try bridge.receive(plain, on: GWM_LEG_A, now: 0) }
        try bridge.setSRTP(GWM_SRTP_AEAD_AES_128_GCM, on: GWM_LEG_A, sendKey: [UInt8](repeating: 4, count: 28),
                           receiveKey: [UInt8](repeating: 5, count: 28))
        try bridge.receive(RTPPacket(payloadType: 0, sequence: 2, timestamp: 160, ssrc: 2, payload: [1]).bytes, on: GWM_LEG_B, now: 20_000)
        let out = bridge.poll(now: 20_000)
        #expect(out.count == 1 && out[0].bytes.count == 12 + 1 + 16) // GCM tag
    }
}
