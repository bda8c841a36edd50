import CGatewayMedia
import MediaCore
import Testing

@Suite struct RTPTests {
    private func parse(_ bytes: [UInt8]) -> (Int32, gwm_rtp_header) {
        var h = gwm_rtp_header()
        let rc = bytes.withUnsafeBufferPointer { gwm_rtp_parse($0.baseAddress!, $0.count, &h) }
        return (rc, h)
    }

    @Test func roundTripsAPlainPacket() throws {
        let packet = RTPPacket(payloadType: 111, sequence: 0xFFFF, timestamp: 0xDEAD_BEEF, ssrc: 0x1234_5678,
                               marker: true, payload: [1, 2, 3])
        let bytes = packet.bytes
        #expect(bytes == hex("80 ef ffff deadbeef 12345678 010203"))
        #expect(try RTPPacket(parsing: bytes) == packet)
    }

    @Test func parsesCSRCsExtensionAndPadding() throws {
        // V=2 P=1 X=1 CC=2, PT 0; two CSRCs; one-byte extension with id 1 (2 bytes)
        // and id 3 (1 byte); payload "abcd"; 4 bytes of padding.
        let bytes = hex("""
            b2 00 0001 00000002 00000003 00000004 00000005
            bede 0002 11 aabb 30 cc 00 00 00
            61626364 00000004
            """)
        let (rc, h) = parse(bytes)
        #expect(rc == 0)
        #expect(h.csrc_count == 2 && h.csrc.0 == 4 && h.csrc.1 == 5)
        #expect(h.has_extension == 1 && h.extension_profile == 0xBEDE && h.extension_length == 8)
        #expect(h.payload_offset == 32 && h.payload_length == 4 && h.padding_length == 4)

        var cursor = 0
        var ext = gwm_rtp_extension()
        var found: [(UInt8, [UInt8])] = []
        try bytes.withUnsafeBufferPointer { buf in
            let block = buf.baseAddress! + Int(h.extension_offset)
            while gwm_rtp_extension_next(h.extension_profile, block, Int(h.extension_length), &cursor, &ext) == 0 {
                found.append((ext.id, Array(UnsafeBufferPointer(start: ext.data, count: Int(ext.length)))))
            }
            #expect(gwm_rtp_extension_next(h.extension_profile, block, Int(h.extension_length), &cursor, &ext)
                    == GWM_ERR_END.rawValue)
            _ = try #require(found.count == 2 ? found : nil)
        }
        #expect(found[0].0 == 1 && found[0].1 == [0xaa, 0xbb])
        #expect(found[1].0 == 3 && found[1].1 == [0xcc])
    }

    @Test func buildsOneByteAndTwoByteExtensionBlocks() throws {
        func build(_ elements: [(UInt8, [UInt8])]) -> (UInt16, [UInt8]) {
            let storage = elements.map { $0.1 }
            var profile: UInt16 = 0
            var length = 0
            var out = [UInt8](repeating: 0xff, count: 64)
            withExtendedLifetime(storage) {
                let exts: [gwm_rtp_extension] = elements.enumerated().map { i, e in
                    storage[i].withUnsafeBufferPointer {
                        gwm_rtp_extension(id: e.0, length: UInt8(e.1.count), data: $0.baseAddress)
                    }
                }
                let rc = exts.withUnsafeBufferPointer {
                    gwm_rtp_extension_build($0.baseAddress!, $0.count, &out, out.count, &profile, &length)
                }
                #expect(rc == 0)
            }
            return (profile, Array(out.prefix(length)))
        }
        let one = build([(1, [0xaa]), (14, [1, 2, 3])])
        #expect(one.0 == 0xBEDE)
        #expect(one.1 == [0x10, 0xaa, 0xe2, 1, 2, 3, 0, 0])
        let two = build([(1, []), (20, [9])])  // id > 14 and an empty element need the two-byte form
        #expect(two.0 == 0x1000)
        #expect(two.1 == [1, 0, 20, 1, 9, 0, 0, 0])
    }

    @Test func oneByteFormStopsAtIdFifteen() {
        let block: [UInt8] = [0x10, 0xaa, 0xf0, 0x10, 0xbb, 0, 0, 0]
        var cursor = 0
        var ext = gwm_rtp_extension()
        #expect(gwm_rtp_extension_next(0xBEDE, block, block.count, &cursor, &ext) == 0)
        #expect(gwm_rtp_extension_next(0xBEDE, block, block.count, &cursor, &ext) == GWM_ERR_END.rawValue)
    }

    @Test(arguments: [
        ("80 00 0001", GWM_ERR_TRUNCATED),                            // shorter than 12
        ("40 00 0001 00000002 00000003", GWM_ERR_MALFORMED),          // version 1
        ("83 00 0001 00000002 00000003 00000004", GWM_ERR_TRUNCATED), // CC=3, one CSRC present
        ("90 00 0001 00000002 00000003 bede 0004 00000000", GWM_ERR_TRUNCATED), // extension overruns
        ("a0 00 0001 00000002 00000003 aabb 09", GWM_ERR_MALFORMED),  // padding count > payload
        ("a0 00 0001 00000002 00000003 aabb 00", GWM_ERR_MALFORMED),  // padding count 0
    ])
    func rejectsBadHeaders(input: String, expected: gwm_status) {
        #expect(parse(hex(input)).0 == expected.rawValue)
    }

    @Test func rejectsOverrunningExtensionElements() {
        var cursor = 0
        var ext = gwm_rtp_extension()
        let oneByte: [UInt8] = [0x13, 0xaa, 0xbb, 0xcc] // id 1 says 4 bytes, 3 present
        #expect(gwm_rtp_extension_next(0xBEDE, oneByte, oneByte.count, &cursor, &ext) == GWM_ERR_MALFORMED.rawValue)
        cursor = 0
        let twoByte: [UInt8] = [0x01, 0x09, 0xaa, 0x00]
        #expect(gwm_rtp_extension_next(0x1000, twoByte, twoByte.count, &cursor, &ext) == GWM_ERR_MALFORMED.rawValue)
        cursor = 0
        #expect(gwm_rtp_extension_next(0x1234, twoByte, twoByte.count, &cursor, &ext) == GWM_ERR_UNSUPPORTED.rawValue)
    }

    @Test func buildWithNullBufferReportsTheSize() {
        var h = gwm_rtp_header()
        h.csrc_count = 1
        var length = 0
        #expect(gwm_rtp_build(&h, nil, 0, nil, 0, 4, nil, 0, &length) == 0)
        #expect(length == 12 + 4 + 4)
        var small = [UInt8](repeating: 0, count: 10)
        #expect(gwm_rtp_build(&h, nil, 0, nil, 0, 4, &small, small.count, &length) == GWM_ERR_BUFFER_TOO_SMALL.rawValue)
    }

    @Test func classifiesASharedPortByFirstByte() {
        func kind(_ bytes: [UInt8]) -> gwm_packet_kind { gwm_packet_classify(bytes, bytes.count) }
        #expect(kind([0x00, 0x01]) == GWM_PACKET_STUN)
        #expect(kind([0x16, 0xfe]) == GWM_PACKET_DTLS)
        #expect(kind([0x80, 0x00]) == GWM_PACKET_RTP)
        #expect(kind([0x80, 0xef]) == GWM_PACKET_RTP)   // PT 111 with marker
        #expect(kind([0x81, 0xc8]) == GWM_PACKET_RTCP)  // SR
        #expect(kind([0x8f, 0xcd]) == GWM_PACKET_RTCP)  // RTPFB
        #expect(kind([0x44, 0x00]) == GWM_PACKET_TURN)
        #expect(kind([0xff]) == GWM_PACKET_UNKNOWN)
        #expect(kind([]) == GWM_PACKET_UNKNOWN)
    }

    @Test func everyStatusHasAMessage() {
        for code in -16...0 { #expect(String(cString: gwm_strerror(Int32(code))) != "unknown status") }
        #expect(String(cString: gwm_strerror(-999)) == "unknown status")
        #expect(gwm_abi_version() == GWM_ABI_VERSION)
    }
}
