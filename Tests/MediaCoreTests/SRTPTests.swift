import CGatewayMedia
import MediaCore
import Testing

/// Known-good vectors: libsrtp's own srtp_validate / srtp_validate_gcm
/// packets (the RFC 3711 §B.2 key with SSRC 0xcafebabe, sequence 0x1234).
@Suite struct SRTPTests {
    static let cmKey = hex("e1f97a0d3e018be0d64fa32c06de4139 0ec675ad498afeebb6960b3aabe6")
    static let gcmKey = hex("000102030405060708090a0b0c0d0e0f a0a1a2a3a4a5a6a7a8a9aaab")
    static let rtpPlain = hex("800f1234decafbadcafebabe abababababababababababababababab")
    static let rtcpPlain = hex("81c8000bcafebabe abababababababababababababababab")
    static let cm80RTP = hex("""
        800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb
        """)
    static let cm80RTCP = hex("""
        81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798
        """)
    static let gcmRTP = hex("""
        800f1234decafbadcafebabe c5002ede04cfdd2eb91159e0880aa06e d2976826f796b201df3131a127e8a392
        """)
    static let gcmRTCP = hex("""
        81c8000bcafebabe c98b8b5df0392a55852b6c21ac8e7025 c52c6fbea2b3b446ea31123ba88ce61e 80000001
        """)

    @Test(arguments: [
        (GWM_SRTP_AES128_CM_SHA1_80, cmKey, rtpPlain, cm80RTP, false),
        (GWM_SRTP_AES128_CM_SHA1_32, cmKey, rtpPlain, Array(cm80RTP.prefix(32)), false),
        (GWM_SRTP_AES128_CM_SHA1_80, cmKey, rtcpPlain, cm80RTCP, true),
        (GWM_SRTP_AEAD_AES_128_GCM, gcmKey, rtpPlain, gcmRTP, false),
        (GWM_SRTP_AEAD_AES_128_GCM, gcmKey, rtcpPlain, gcmRTCP, true),
    ])
    func matchesKnownVectorsBothWays(profile: gwm_srtp_profile, key: [UInt8], plain: [UInt8],
                                     cipher: [UInt8], rtcp: Bool) throws {
        let sender = try SRTPContext(profile: profile, direction: GWM_SRTP_SEND, key: key)
        #expect(try sender.protect(plain, rtcp: rtcp) == cipher)
        let receiver = try SRTPContext(profile: profile, direction: GWM_SRTP_RECEIVE, key: key)
        #expect(try receiver.unprotect(cipher, rtcp: rtcp) == plain)
    }

    @Test func rejectsReplays() throws {
        let receiver = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_RECEIVE, key: Self.cmKey)
        _ = try receiver.unprotect(Self.cm80RTP)
        #expect(throws: MediaError.replay) { try receiver.unprotect(Self.cm80RTP) }
        _ = try receiver.unprotect(Self.cm80RTCP, rtcp: true)
        #expect(throws: MediaError.replay) { try receiver.unprotect(Self.cm80RTCP, rtcp: true) }
        #expect(receiver.stats.replays == 2 && receiver.stats.rtp_ok == 1 && receiver.stats.rtcp_ok == 1)
    }

    @Test func rejectsTamperingAndWrongKeys() throws {
        let receiver = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_RECEIVE, key: Self.cmKey)
        var tampered = Self.cm80RTP
        tampered[14] ^= 0x01
        #expect(throws: MediaError.authenticationFailed) { try receiver.unprotect(tampered) }
        var wrongKey = Self.cmKey
        wrongKey[0] ^= 0xff
        let stranger = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_RECEIVE, key: wrongKey)
        #expect(throws: MediaError.authenticationFailed) { try stranger.unprotect(Self.cm80RTP) }
        #expect(throws: MediaError.authenticationFailed) { try stranger.unprotect(Self.cm80RTCP, rtcp: true) }
        let gcm = try SRTPContext(profile: GWM_SRTP_AEAD_AES_128_GCM, direction: GWM_SRTP_RECEIVE, key: Self.gcmKey)
        var badTag = Self.gcmRTP
        badTag[badTag.count - 1] ^= 0x80
        #expect(throws: MediaError.authenticationFailed) { try gcm.unprotect(badTag) }
        // The failures changed nothing: the genuine packet still verifies.
        #expect(try receiver.unprotect(Self.cm80RTP) == Self.rtpPlain)
        #expect(receiver.stats.auth_failures == 1)
        #expect(stranger.stats.auth_failures == 2)
    }

    @Test func rejectsBadArgumentsAndShortPackets() throws {
        var out: OpaquePointer?
        #expect(gwm_srtp_create(GWM_SRTP_AES128_CM_SHA1_80, GWM_SRTP_SEND, Self.cmKey, 29, &out) == GWM_ERR_INVALID_ARGUMENT.rawValue)
        #expect(gwm_srtp_create(gwm_srtp_profile(rawValue: 99), GWM_SRTP_SEND, Self.cmKey, 30, &out) == GWM_ERR_UNSUPPORTED.rawValue)
        #expect(out == nil)
        let receiver = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_RECEIVE, key: Self.cmKey)
        #expect(throws: MediaError.truncated) { try receiver.unprotect([0x80, 0x00, 0x00]) }
        #expect(throws: MediaError.self) { try receiver.unprotect(Array(Self.cm80RTP.prefix(14))) }
        #expect(gwm_srtp_key_length(GWM_SRTP_AEAD_AES_128_GCM) == 28)
        #expect(gwm_srtp_key_length(GWM_SRTP_AES128_CM_SHA1_32) == 30)
    }

    /// Headers that claim more than the packet holds (CSRCs, an extension), a version that is not 2, and
    /// SRTCP shorter than its trailer are refused before any key is used, and counted.
    @Test func refusesHeadersLongerThanThePacket() throws {
        let receiver = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_RECEIVE, key: Self.cmKey)
        var csrcs = Self.cm80RTP
        csrcs[0] = 0x8f // 15 CSRCs: 72 bytes of header in a 38-byte packet
        var extensionTooLong = Self.cm80RTP
        extensionTooLong[0] = 0x90
        extensionTooLong[14] = 0xff // the extension's length field: 1020 more bytes
        extensionTooLong[15] = 0xff
        var version1 = Self.cm80RTP
        version1[0] = 0x40
        for packet in [csrcs, extensionTooLong, version1] {
            #expect(throws: MediaError.self) { try receiver.unprotect(packet) }
        }
        #expect(throws: MediaError.self) { try receiver.unprotect(Array(Self.cm80RTCP.prefix(20)), rtcp: true) }
        #expect(receiver.stats.other_failures == 4 && receiver.stats.auth_failures == 0)
        #expect(try receiver.unprotect(Self.cm80RTP) == Self.rtpPlain)
    }

    /// The E flag is under the tag (RFC 3711 §3.4): clearing it in transit, so that the ciphertext would be
    /// taken as clear RTCP, fails authentication.
    @Test func anEFlagClearedInTransitFailsAuthentication() throws {
        let sender = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_SEND, key: Self.cmKey)
        let receiver = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_RECEIVE, key: Self.cmKey)
        var sealed = try sender.protect(Self.rtcpPlain, rtcp: true)
        #expect(sealed.count == Self.rtcpPlain.count + 4 + 10)
        sealed[Self.rtcpPlain.count] &= 0x7f
        #expect(throws: MediaError.authenticationFailed) { try receiver.unprotect(sealed, rtcp: true) }
        sealed[Self.rtcpPlain.count] |= 0x80
        #expect(try receiver.unprotect(sealed, rtcp: true) == Self.rtcpPlain)
    }

    @Test func boundsTheStreamsAPeerCanCreate() throws {
        let sender = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_SEND, key: Self.cmKey)
        let receiver = try SRTPContext(profile: GWM_SRTP_AES128_CM_SHA1_80, direction: GWM_SRTP_RECEIVE, key: Self.cmKey)
        // Many SSRCs: each is accepted, and the first still works after eviction (a fresh stream).
        for ssrc in UInt32(1)...40 {
            let p = RTPPacket(payloadType: 0, sequence: 7, timestamp: 0, ssrc: ssrc, payload: [1, 2, 3])
            #expect(try receiver.unprotect(try sender.protect(p.bytes)) == p.bytes)
        }
        #expect(receiver.stats.rtp_ok == 40)
    }
}
