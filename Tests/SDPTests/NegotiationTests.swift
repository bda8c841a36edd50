import SDP
import Testing

private func local(_ codecs: [AudioCodec] = [.opus, .pcmu, .pcma]) -> LocalAudioParameters {
    var l = LocalAudioParameters(address: "127.0.0.1", port: 40000, codecs: codecs, ssrc: 1234, cname: "gw",
                                 sessionID: "42")
    l.ice = ("ufrg", "passwordpasswordpassword")
    l.dtls = (Fingerprint(algorithm: "sha-256", value: "AA:BB"), .passive)
    l.candidates = [Candidate(foundation: "1", component: 1, transport: "udp", priority: 2_130_706_431,
                              address: "127.0.0.1", port: 40000, type: "host")]
    return l
}

@Suite struct NegotiationTests {
    @Test func answersAChromiumOfferWithAudioOnlyAndRejectsTheRest() throws {
        let offer = try SDPParser.parse(try fixture("chromium-156-offer.sdp"))
        let agreed = try AudioNegotiation.negotiate(offer, codecs: [.opus, .pcmu, .pcma])
        #expect(agreed.codec == .opus && agreed.payloadType == 111)
        #expect(agreed.dtmfPayloadType == 110 && agreed.dtmfClockRate == 48000)
        #expect(agreed.remoteICE?.ufrag == "/o2N")
        #expect(agreed.rtcpMux && agreed.mid == "0")
        guard case .dtls(let fps, let setup) = agreed.security else { Issue.record("not DTLS"); return }
        #expect(fps.count == 1 && setup == .actpass)

        let answer = AudioNegotiation.answer(offer, agreed: agreed, local: local())
        let text = answer.text
        let parsed = try SDPParser.parse(text)
        #expect(parsed.media.map(\.port) == [40000, 0, 0])
        #expect(parsed.media.map(\.mid) == ["0", "1", "2"])      // rejected sections keep their mid
        #expect(parsed.bundle == ["0"])
        #expect(parsed.attributes.has("ice-lite"))
        let audio = parsed.media[0]
        #expect(audio.formats == ["111", "110"])
        #expect(audio.attributes.first("setup") == "passive")
        #expect(audio.attributes.first("ice-ufrag") == "ufrg")
        #expect(audio.attributes.has("rtcp-mux") && audio.attributes.has("end-of-candidates"))
        #expect(audio.direction == .sendrecv)
        #expect(audio.candidates.first?.port == 40000)
        // Chromium reads our answer back as a valid one: checked in the interop tests.
    }

    @Test func prefersG711WhenAskedAndMatchesTheEightKilohertzEvent() throws {
        let offer = try SDPParser.parse(try fixture("chromium-156-offer.sdp"))
        let agreed = try AudioNegotiation.negotiate(offer, codecs: [.pcma, .pcmu])
        #expect(agreed.codec == .pcma && agreed.payloadType == 8)
        #expect(agreed.dtmfPayloadType == 126 && agreed.dtmfClockRate == 8000)
    }

    @Test func answersASIPPhonesSDESOffer() throws {
        let offer = try SDPParser.parse("""
            v=0\r\no=phone 1 1 IN IP4 192.0.2.10\r\ns=call\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r
            m=audio 5004 RTP/SAVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r
            a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r
            a=sendonly\r\na=ptime:20\r\n
            """)
        let agreed = try AudioNegotiation.negotiate(offer, codecs: [.pcmu, .pcma], isAnswer: false)
        #expect(agreed.codec == .pcmu && agreed.payloadType == 0)
        #expect(agreed.remoteDirection == .sendonly && agreed.remoteAddress == "192.0.2.10" && agreed.ptime == 20)
        guard case .sdes(let crypto) = agreed.security else { Issue.record("not SDES"); return }
        #expect(crypto.inlineKey?.count == 30)
        var params = local([.pcmu])
        params.ice = nil
        params.dtls = nil
        params.sdes = [CryptoAttribute(tag: 1, suite: .aesCM128HMACSHA1_80, key: [UInt8](repeating: 7, count: 30))]
        let answer = try SDPParser.parse(AudioNegotiation.answer(offer, agreed: agreed, local: params).text)
        #expect(answer.media[0].direction == .recvonly)          // the phone holds us
        #expect(answer.media[0].cryptos.first?.inlineKey == [UInt8](repeating: 7, count: 30))
        #expect(!answer.attributes.has("ice-lite"))
    }

    @Test func readsTheAnswerToOurOffer() throws {
        var params = local()
        params.dtls = (Fingerprint(algorithm: "sha-256", value: "AA:BB"), .actpass)
        let offer = AudioNegotiation.offer(local: params)
        let audio = offer.media[0]
        #expect(audio.formats == ["111", "0", "8", "126", "101"])
        #expect(audio.attributes.first("setup") == "actpass")
        let answer = try SDPParser.parse("""
            v=0\r\no=- 5 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r
            m=audio 9 UDP/TLS/RTP/SAVPF 0 126\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:abcd\r\na=ice-pwd:efghefghefghefghefghefgh\r
            a=fingerprint:sha-256 01:02\r\na=setup:active\r\na=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:126 telephone-event/48000\r
            a=recvonly\r\n
            """)
        let agreed = try AudioNegotiation.negotiate(answer, codecs: [.opus, .pcmu, .pcma], isAnswer: true)
        #expect(agreed.codec == .pcmu && agreed.remoteDirection == .recvonly)
        guard case .dtls(_, let setup) = agreed.security else { Issue.record("not DTLS"); return }
        #expect(setup == .active)
    }

    @Test func refusesWhatCannotBeAnswered() throws {
        let videoOnly = try SDPParser.parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\n")
        #expect(throws: SDPError.self) { try AudioNegotiation.negotiate(videoOnly, codecs: [.pcmu]) }
        let g729 = try SDPParser.parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 18\r\n")
        #expect(throws: SDPError.self) { try AudioNegotiation.negotiate(g729, codecs: [.pcmu]) }
        let bareSecure = try SDPParser.parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/SAVP 0\r\n")
        #expect(throws: SDPError.self) { try AudioNegotiation.negotiate(bareSecure, codecs: [.pcmu]) }
    }

    @Test(arguments: [
        (MediaDirection.sendrecv, MediaDirection.sendrecv, MediaDirection.sendrecv),
        (.sendonly, .sendrecv, .recvonly),
        (.recvonly, .sendrecv, .sendonly),
        (.inactive, .sendrecv, .inactive),
        (.sendrecv, .sendonly, .sendonly),
        (.sendonly, .sendonly, .inactive),
    ])
    func answerDirectionFollowsRFC3264(offered: MediaDirection, local localDirection: MediaDirection,
                                       expected: MediaDirection) throws {
        let offer = try SDPParser.parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=\(offered.rawValue)\r\n")
        let agreed = try AudioNegotiation.negotiate(offer, codecs: [.pcmu])
        var params = local([.pcmu])
        params.direction = localDirection
        params.dtls = nil
        let answer = AudioNegotiation.answer(offer, agreed: agreed, local: params)
        #expect(answer.media[0].direction == expected)
    }
}

/// SDP that once ended the process, and its siblings.
@Suite struct HostileSDPTests {
    private func sdp(media: String, extra: String = "") -> String {
        "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n\(media)\r\n\(extra)"
    }

    /// `m=a / b` indexed the port field of an empty split.
    @Test func mediaLineWithASlashForAPort() {
        #expect(throws: SDPError.self) { try SDPParser.parse(sdp(media: "m=a / b")) }
        for port in ["/", "//", "1/", "/2", "70000", "-1", "+5", "5/0", "5/-1", "5/99999999999999999999"] {
            #expect(throws: SDPError.self, "\(port)") { try SDPParser.parse(sdp(media: "m=audio \(port) RTP/AVP 0")) }
        }
        #expect((try? SDPParser.parse(sdp(media: "m=audio 5004/2 RTP/AVP 0")))?.media.first?.portCount == 2)
    }

    @Test func fmtpAndRtpmapOddities() throws {
        let odd = "a=fmtp:0 =\r\na=fmtp:0 ;;=;=x;a=\r\na=fmtp:\r\na=rtpmap:0\r\na=rtpmap:0 /\r\na=rtpmap:999 x/1\r\na=ptime:-20\r\n"
        let parsed = try SDPParser.parse(sdp(media: "m=audio 5004 RTP/AVP 0 101", extra: odd))
        _ = parsed.media.first?.formatParameters(0)
        _ = try? AudioNegotiation.negotiate(parsed, codecs: [.pcmu, .opus])
    }
}
