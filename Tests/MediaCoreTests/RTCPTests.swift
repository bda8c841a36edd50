import CGatewayMedia
import Testing

@Suite struct RTCPTests {
    @Test func buildsAndParsesACompoundSRSDESBye() throws {
        var buf = [UInt8](repeating: 0, count: 256)
        var len = 0
        var info = gwm_rtcp_sender_info(ntp_timestamp: 0xE000_0000_8000_0000, rtp_timestamp: 1234,
                                         packet_count: 50, octet_count: 8000)
        var block = gwm_rtcp_report_block(ssrc: 0x5151_5151, fraction_lost: 25, cumulative_lost: -3,
                                          highest_sequence: 0x1_0005, jitter: 77, last_sr: 0xAABB_CCDD,
                                          delay_since_last_sr: 65536)
        #expect(gwm_rtcp_write_sr(&buf, buf.count, &len, 0x1111_2222, &info, &block, 1) == 0)
        #expect(gwm_rtcp_write_sdes_cname(&buf, buf.count, &len, 0x1111_2222, "gw", 2) == 0)
        var ssrc: UInt32 = 0x1111_2222
        #expect(gwm_rtcp_write_bye(&buf, buf.count, &len, &ssrc, 1, "hangup", 6) == 0)
        let bytes = Array(buf.prefix(len))
        #expect(gwm_rtcp_validate(bytes, bytes.count) == 0)

        let rtcp = RTCPCompound(bytes)
        defer { withExtendedLifetime(rtcp) {} }
        do {
            let all = rtcp.packets
            try #require(all.count == 3)
            #expect(all.map(\.type) == [200, 202, 203])
            var sender: UInt32 = 0
            #expect(gwm_rtcp_sender_ssrc([all[0]], &sender) == 0 && sender == 0x1111_2222)
            var si = gwm_rtcp_sender_info()
            #expect(gwm_rtcp_sender_info_get([all[0]], &si) == 0)
            #expect(si.ntp_timestamp == info.ntp_timestamp && si.packet_count == 50 && si.octet_count == 8000)
            var rb = gwm_rtcp_report_block()
            #expect(gwm_rtcp_report_block_get([all[0]], 0, &rb) == 0)
            #expect(rb.ssrc == 0x5151_5151 && rb.fraction_lost == 25 && rb.cumulative_lost == -3)
            #expect(rb.highest_sequence == 0x1_0005 && rb.jitter == 77 && rb.last_sr == 0xAABB_CCDD)
            #expect(gwm_rtcp_report_block_get([all[0]], 1, &rb) == GWM_ERR_END.rawValue)

            var cursor = 0
            var item = gwm_rtcp_sdes_item()
            #expect(gwm_rtcp_sdes_next([all[1]], &cursor, &item) == 0)
            #expect(item.ssrc == 0x1111_2222 && item.type == 1 && item.length == 2)
            #expect(Array(UnsafeBufferPointer(start: item.text, count: 2)) == Array("gw".utf8))
            #expect(gwm_rtcp_sdes_next([all[1]], &cursor, &item) == GWM_ERR_END.rawValue)

            var bye: UInt32 = 0
            #expect(gwm_rtcp_bye_ssrc([all[2]], 0, &bye) == 0 && bye == 0x1111_2222)
        }
    }

    @Test func parsesMultiChunkSDES() {
        // SDES, SC=2: chunk 1 has CNAME "a" and NAME "bc"; chunk 2 has CNAME "d".
        let bytes = hex("""
            82ca 0005
            00000001 0101 61 0202 6263 00
            00000002 0101 64 00
            """)
        #expect(gwm_rtcp_validate(bytes, bytes.count) == 0)
        let rtcp = RTCPCompound(bytes)
        defer { withExtendedLifetime(rtcp) {} }
        let all = rtcp.packets
        var cursor = 0
        var item = gwm_rtcp_sdes_item()
        var seen: [(UInt32, UInt8, UInt8)] = []
        while gwm_rtcp_sdes_next([all[0]], &cursor, &item) == 0 { seen.append((item.ssrc, item.type, item.length)) }
        #expect(seen.map(\.0) == [1, 1, 2])
        #expect(seen.map(\.1) == [1, 2, 1])
        #expect(seen.map(\.2) == [1, 2, 1])
    }

    @Test func buildsAnRRThatReadsBack() {
        var buf = [UInt8](repeating: 0, count: 64)
        var len = 0
        #expect(gwm_rtcp_write_rr(&buf, buf.count, &len, 7, nil, 0) == 0)
        #expect(Array(buf.prefix(len)) == hex("80c9 0001 00000007"))
        var small = [UInt8](repeating: 0, count: 4)
        var smallLen = 0
        #expect(gwm_rtcp_write_rr(&small, small.count, &smallLen, 7, nil, 0) == GWM_ERR_BUFFER_TOO_SMALL.rawValue)
        #expect(smallLen == 0)
    }

    @Test(arguments: [
        ("80c9 0001 000000", GWM_ERR_TRUNCATED),         // length says 8 bytes, 7 present
        ("40c9 0001 00000007", GWM_ERR_MALFORMED),       // version 1
        ("a0c9 0001 00000005", GWM_ERR_MALFORMED),       // padding larger than the body
        ("a0c9 0001 00000001 80c9 0001 00000007", GWM_ERR_MALFORMED), // padding not on the last packet
        ("8064 0001 00000007", GWM_ERR_MALFORMED),       // type 100 is not RTCP
        ("80c9", GWM_ERR_TRUNCATED),
    ])
    func rejectsBadCompounds(input: String, expected: gwm_status) {
        let bytes = hex(input)
        #expect(gwm_rtcp_validate(bytes, bytes.count) == expected.rawValue)
    }

    @Test func reportBlockOverrunIsTruncated() {
        // RR claims two report blocks but carries none.
        let bytes = hex("82c9 0001 00000007")
        let rtcp = RTCPCompound(bytes)
        defer { withExtendedLifetime(rtcp) {} }
        let all = rtcp.packets
        var rb = gwm_rtcp_report_block()
        #expect(gwm_rtcp_report_block_get([all[0]], 0, &rb) == GWM_ERR_TRUNCATED.rawValue)
    }
}
