import Foundation
import SDP
import Testing

func fixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    return try String(contentsOf: url, encoding: .utf8)
}

@Suite struct SDPParsingTests {
    @Test func parsesAndRoundTripsARealChromiumOffer() throws {
        let text = try fixture("chromium-156-offer.sdp")
        let sdp = try SDPParser.parse(text)
        #expect(sdp.media.map(\.kind) == ["audio", "video", "application"])
        #expect(sdp.bundle == ["0", "1", "2"])
        let audio = sdp.media[0]
        #expect(audio.proto == "UDP/TLS/RTP/SAVPF")
        #expect(audio.formats.first == "111")
        #expect(audio.rtpMaps.contains(RTPMap(payloadType: 111, name: "opus", clockRate: 48000, channels: 2)))
        #expect(audio.formatParameters(111)["useinbandfec"] == "1")
        #expect(audio.candidates.count == 2 && audio.candidates[0].type == "host")
        #expect(audio.candidates[1].transport == "tcp")
        #expect(sdp.fingerprints(in: audio).first?.algorithm == "sha-256")
        #expect(sdp.setup(in: audio) == .actpass)
        #expect(audio.direction == .sendrecv && audio.mid == "0")
        // bytes -> value -> bytes -> value is stable, and every line survives
        let again = try SDPParser.parse(sdp.text)
        #expect(again == sdp)
        let lines = Set(text.split(whereSeparator: \.isNewline).map(String.init))
        let out = Set(sdp.text.split(whereSeparator: \.isNewline).map(String.init))
        #expect(lines == out)
    }

    @Test func keepsUnknownAttributesAndLines() throws {
        let sdp = try SDPParser.parse("v=0\no=- 1 2 IN IP4 10.0.0.1\ns=x\nb=AS:64\nt=0 0\na=x-foo:bar\nm=audio 4000 RTP/AVP 0\nb=TIAS:64000\na=x-unknown\n")
        #expect(sdp.attributes == [Attribute("x-foo", "bar")])
        #expect(sdp.otherLines == [Line(type: "b", value: "AS:64")])
        #expect(sdp.media[0].attributes == [Attribute("x-unknown")])
        #expect(sdp.media[0].otherLines == [Line(type: "b", value: "TIAS:64000")])
        #expect(try SDPParser.parse(sdp.text) == sdp)
    }

    @Test(arguments: [
        ("o=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\n", SDPError.missingLine("v")),
        ("v=1\r\no=- 1 2 IN IP4 1.2.3.4\r\n", SDPError.unsupportedVersion("1")),
        ("v=0\r\ns=-\r\n", SDPError.missingLine("o")),
        ("v=0\r\no=- 1 x IN IP4 1.2.3.4\r\n", SDPError.malformedLine(number: 2, reason: "o= needs six fields and a numeric version")),
        ("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\nm=audio 99999 RTP/AVP 0\r\n", SDPError.malformedLine(number: 3, reason: "bad port 99999")),
        ("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ngarbage\r\n", SDPError.malformedLine(number: 3, reason: "not <type>=<value>")),
        ("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\nc=IN IP4\r\n", SDPError.malformedLine(number: 3, reason: "c= needs three fields")),
    ])
    func rejectsMalformedDescriptions(text: String, expected: SDPError) {
        #expect(throws: expected) { try SDPParser.parse(text) }
    }

    @Test func refusesOversizedInput() {
        let huge = "v=0\r\n" + String(repeating: "a=x\r\n", count: 20000)
        #expect(throws: SDPError.tooLarge(limit: SDPParser.maxLength)) { try SDPParser.parse(huge) }
    }

    @Test func parsesCandidatesIncludingMDNSAndTCP() throws {
        let c = try #require(Candidate("candidate:1 1 UDP 2122260223 4bd3b2d3-7b5f.local 54400 typ host generation 0"))
        #expect(c.isMDNS && c.transport == "UDP" && c.port == 54400)
        let relay = try #require(Candidate("2 1 udp 41885439 203.0.113.5 3478 typ relay raddr 198.51.100.7 rport 50000"))
        #expect(relay.type == "relay" && relay.extensions.map(\.0) == ["raddr", "rport"])
        #expect(Candidate(relay.value) == relay)
        #expect(Candidate("1 1 udp notanumber 1.2.3.4 5 typ host") == nil)
        #expect(Candidate("1 1 udp 1 1.2.3.4 5 host") == nil)
    }
}
