import CGatewayMedia
import MediaCore
import Testing

@Suite struct BridgeRTCPTests {
    @Test func reportsOnEachLegAndMeasuresRoundTrip() throws {
        var cfg = testBridgeConfig(a: GWM_CODEC_PCMU, b: GWM_CODEC_PCMU)
        cfg.wallclock_offset_us = 1_700_000_000_000_000
        let bridge = try MediaBridge(config: cfg)
        var rtcp: [(UInt64, MediaBridge.Output)] = []
        for n in 0..<600 { // 12 s of audio both ways
            let now = UInt64(n) * 20_000
            for (leg, pt, ssrc) in [(GWM_LEG_A, UInt8(0), UInt32(0xAAAA)), (GWM_LEG_B, UInt8(0), UInt32(0xBBBB))] {
                let p = RTPPacket(payloadType: pt, sequence: UInt16(n), timestamp: UInt32(n * 160), ssrc: ssrc,
                                  payload: [UInt8](repeating: 0xff, count: 160))
                try bridge.receive(p.bytes, on: leg, now: now)
            }
            rtcp += bridge.poll(now: now).filter(\.isRTCP).map { (now, $0) }
        }
        let onB = rtcp.filter { $0.1.leg == GWM_LEG_B }
        #expect(onB.count >= 2 && onB.count <= 5)       // every 5 s on average, randomised
        #expect(rtcp.count - onB.count >= 2)

        let (sentAt, report) = try #require(onB.first)
        let bytes = report.bytes
        #expect(gwm_rtcp_validate(bytes, bytes.count) == 0)
        let rtcpFirst = RTCPCompound(bytes)
        defer { withExtendedLifetime(rtcpFirst) {} }
        let packets = rtcpFirst.packets
        #expect(packets.map(\.type) == [200, 202])
        var ssrc: UInt32 = 0
        gwm_rtcp_sender_ssrc([packets[0]], &ssrc)
        #expect(ssrc == 0xB0B0_0002)
        var rb = gwm_rtcp_report_block()
        #expect(gwm_rtcp_report_block_get([packets[0]], 0, &rb) == 0)
        #expect(rb.ssrc == 0xBBBB && rb.cumulative_lost == 0)
        var si = gwm_rtcp_sender_info()
        gwm_rtcp_sender_info_get([packets[0]], &si)
        #expect(si.ntp_timestamp >> 32 == UInt64(1_700_000_000 + 2_208_988_800) + sentAt / 1_000_000)

        // The SIP peer answers the latest SR with an RR; the path takes 100 ms in all.
        let (lastSentAt, lastReport) = try #require(onB.last)
        let rtcpLast = RTCPCompound(lastReport.bytes)
        gwm_rtcp_sender_info_get([rtcpLast.packets[0]], &si)
        withExtendedLifetime(rtcpLast) {}
        let arrival: UInt64 = 12_000_000
        let held = arrival - lastSentAt - 100_000
        var rr = [UInt8](repeating: 0, count: 64)
        var len = 0
        var block = gwm_rtcp_report_block(ssrc: 0xB0B0_0002, fraction_lost: 3, cumulative_lost: 7, highest_sequence: 0,
                                          jitter: 80, last_sr: UInt32(truncatingIfNeeded: si.ntp_timestamp >> 16),
                                          delay_since_last_sr: UInt32((held << 16) / 1_000_000))
        gwm_rtcp_write_rr(&rr, rr.count, &len, 0xBBBB, &block, 1)
        try bridge.receive(Array(rr.prefix(len)), on: GWM_LEG_B, now: arrival)
        let stats = bridge.stats(GWM_LEG_B)
        #expect(stats.rtcp_received == 1)
        #expect(stats.remote_fraction_lost == 3 && stats.remote_cumulative_lost == 7)
        #expect(stats.remote_jitter_us == 10_000)
        #expect(abs(Int(stats.round_trip_us) - 100_000) < 1000)
    }

    @Test func byeClosesTheLegsReports() throws {
        let bridge = try MediaBridge(config: testBridgeConfig())
        try bridge.sendBye(on: GWM_LEG_B, now: 0)
        let out = bridge.poll(now: 0)
        try #require(out.count == 1 && out[0].isRTCP)
        #expect(RTCPCompound(out[0].bytes).packets.map(\.type) == [201, 202, 203])
    }

    @Test func srtcpIsProtectedAndVerified() throws {
        let bridge = try MediaBridge(config: testBridgeConfig(a: GWM_CODEC_PCMU, b: GWM_CODEC_PCMU))
        let k1 = [UInt8](repeating: 1, count: 30), k2 = [UInt8](repeating: 2, count: 30)
        try bridge.setSRTP(GWM_SRTP_AES128_CM_SHA1_80, on: GWM_LEG_A, sendKey: k1, receiveKey: k2)
        try bridge.sendBye(on: GWM_LEG_A, now: 0)
        let out = try #require(bridge.poll(now: 0).first)
        let peer = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_RECEIVE, key: k1)
        let clear = try peer.unprotect(out.bytes, rtcp: true)
        #expect(gwm_rtcp_validate(clear, clear.count) == 0)
        // An unauthenticated RTCP packet from the browser is refused.
        #expect(throws: MediaError.self) { try bridge.receive(hex("81c9 0001 00000007 00000000 00000000 0000"), on: GWM_LEG_A, now: 0) }
        #expect(bridge.stats(GWM_LEG_A).rtcp_received == 0)
    }
}
