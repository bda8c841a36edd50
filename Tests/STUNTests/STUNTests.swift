import STUN
import Testing

/// RFC 5769 test vectors, then round trips and bad input.
@Suite struct STUNTests {
    static let password = Array("VOkJxbRl1RmTxUk/WvJxBt".utf8)
    static let request: [UInt8] = [
        0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
        0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
        0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
        0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
        0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
        0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
        0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
    ]
    static let ipv4Response: [UInt8] = [
        0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
        0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
        0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
        0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
        0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
    ]

    @Test func decodesTheRFC5769SampleRequest() throws {
        let m = try STUNCoder.decode(Self.request, integrityKey: Self.password)
        #expect(m.method == 1 && m.messageClass == .request)
        #expect(m.username == "evtj:h6vY")
        #expect(m.priority == 0x6e00_01ff)
        #expect(m.iceControlled == 0x932f_f9b1_5126_3b36)
        var tampered = Self.request
        tampered[45] ^= 1
        #expect(throws: STUNError.badFingerprint) { try STUNCoder.decode(tampered, integrityKey: Self.password) }
        #expect(throws: STUNError.badIntegrity) { try STUNCoder.decode(Self.request, integrityKey: Array("wrong".utf8)) }
    }

    @Test func decodesTheRFC5769IPv4ResponseAndReencodesIt() throws {
        let m = try STUNCoder.decode(Self.ipv4Response, integrityKey: Self.password)
        #expect(m.messageClass == .success)
        let mapped = try #require(m.xorMappedAddress)
        #expect(mapped.address == [192, 0, 2, 1] && mapped.port == 32853)
        // Our encoding differs only in padding bytes (the RFC pads SOFTWARE with a
        // space), so compare everything but those, and check ours verifies.
        let ours = STUNCoder.encode(m, integrityKey: Self.password)
        #expect(ours.count == Self.ipv4Response.count)
        #expect(Array(ours.prefix(35)) == Array(Self.ipv4Response.prefix(35)))
        #expect(Array(ours[36..<52]) == Array(Self.ipv4Response[36..<52]))
        #expect(try STUNCoder.decode(ours, integrityKey: Self.password) == m)
    }

    @Test func roundTripsAnICEBindingRequest() throws {
        let id: [UInt8] = Array(1...12)
        let m = STUNMessage(class: .request, transactionID: id, attributes: [
            .username("abcd:efgh"), .priority(0x7e7f_00ff), .controlling(42), .useCandidateFlag,
        ])
        let bytes = STUNCoder.encode(m, integrityKey: Array("pass".utf8))
        #expect(STUNCoder.isSTUN(bytes))
        let back = try STUNCoder.decode(bytes, integrityKey: Array("pass".utf8))
        #expect(back == m)
        #expect(back.hasUseCandidate && back.iceControlling == 42)
        let v6 = STUNAttribute.xorMapped(address: Array(repeating: 0xfe, count: 16), port: 4444, transactionID: id)
        let resp = try STUNCoder.decode(STUNCoder.encode(STUNMessage(class: .success, transactionID: id, attributes: [v6]),
                                                         integrityKey: nil))
        #expect(resp.xorMappedAddress?.address == Array(repeating: 0xfe, count: 16))
        let err = STUNMessage(class: .error, transactionID: id, attributes: [.error(487, "Role Conflict")])
        #expect(try STUNCoder.decode(STUNCoder.encode(err, integrityKey: nil)).errorCode == 487)
    }

    @Test func flagsUnknownComprehensionRequiredAttributes() throws {
        let m = STUNMessage(class: .request, transactionID: Array(1...12), attributes: [
            STUNAttribute(type: 0x0031, value: [1, 2, 3, 4]), STUNAttribute(type: 0xC001, value: []),
        ])
        let back = try STUNCoder.decode(STUNCoder.encode(m, integrityKey: nil))
        #expect(back.unknownRequiredAttributes == [0x0031])
    }

    @Test func rejectsMalformedMessages() {
        var short = Self.request
        short.removeLast(4)
        #expect(throws: STUNError.notSTUN) { try STUNCoder.decode(short) }          // length mismatch
        var overrun = Self.request
        overrun[23] = 0xff                                                        // SOFTWARE claims 255 bytes
        #expect(throws: STUNError.truncated) { try STUNCoder.decode(overrun) }
        #expect(throws: STUNError.notSTUN) { try STUNCoder.decode([0x80, 0x01] + Array(Self.request.dropFirst(2))) }
        let noIntegrity = STUNCoder.encode(STUNMessage(class: .request, transactionID: Array(1...12)), integrityKey: nil)
        #expect(throws: STUNError.missingIntegrity) { try STUNCoder.decode(noIntegrity, integrityKey: [1]) }
    }
}
