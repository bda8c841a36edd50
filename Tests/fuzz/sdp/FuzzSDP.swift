import SDP

/// libFuzzer target for SDP as both legs take it: the parser, then the
/// offer/answer negotiation of the browser leg (Opus, G.711, DTLS-SRTP) and of
/// the SIP leg (G.711, SDES-SRTP), as an offer and as an answer to ours, and
/// our answer built from what was agreed. No crash, and whatever parses must
/// round-trip. Built with -DFUZZING by scripts/test; a plain build gives a
/// replayer that runs the files named on its command line.
public func fuzzSDP(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let sdp = try? SDPParser.parse(text) else { return 0 }
    guard let again = try? SDPParser.parse(sdp.text), again.text == sdp.text else {
        fatalError("SDP did not round-trip")
    }
    for codecs in [[AudioCodec.opus, .pcmu, .pcma], [.pcmu, .pcma]] {
        _ = try? AudioNegotiation.negotiate(sdp, codecs: codecs, isAnswer: true)
        guard let agreed = try? AudioNegotiation.negotiate(sdp, codecs: codecs) else { continue }
        if case .sdes(let crypto) = agreed.security { _ = crypto.inlineKey }
        var local = LocalAudioParameters(address: "127.0.0.1", port: 9, codecs: codecs, ssrc: 1, cname: "f", sessionID: "1")
        local.ice = ("abcd", "efghefghefghefghefghefgh")
        _ = try? SDPParser.parse(AudioNegotiation.answer(sdp, agreed: agreed, local: local).text)
    }
    return 0
}
