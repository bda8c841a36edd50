import SignalingProtocol
import Testing

@Suite struct LongPollMessageTests {
    func parse(_ s: String) throws -> LongPollMessage { try LongPollMessage(parsing: Array(s.utf8)) }

    @Test func wordsWithAndWithoutJSON() throws {
        let offer = try parse(#"RSMP {"messageType":"OFFER","sdp":"v=0","Candidates":[]}"#)
        #expect(offer.word == .rsmp)
        #expect(offer.object?["messageType"] == "OFFER")
        #expect(try parse("BYE").word == .bye)
        #expect(try parse("  event-hold\r\n").word == .eventHold)
        #expect(try parse("INFO-PEER a=press+5&b").object == ["a": "press 5", "b": ""])   // form-encoded, as $.param writes
        #expect(try parse("INFO-MAP k=v").text == "INFO-MAP k=v")
        #expect(try parse("ERROR something broke").object?["text"] == "something broke")
    }

    @Test func badMessagesAreTypedErrors() {
        #expect(throws: LongPollMessage.ParseError.empty) { try parse("") }
        #expect(throws: LongPollMessage.ParseError.unknownWord("HELLO")) { try parse("HELLO {}") }
        #expect(throws: LongPollMessage.ParseError.badJSON("RSMP")) { try parse("RSMP") }
        #expect(throws: LongPollMessage.ParseError.badJSON("RSMP")) { try parse("RSMP [1,2]") }
        #expect(throws: LongPollMessage.ParseError.notUTF8) { try LongPollMessage(parsing: [0x42, 0xff, 0xfe]) }
        #expect(throws: LongPollMessage.ParseError.tooLarge) {
            try LongPollMessage(parsing: Array(repeating: 0x41, count: LongPollMessage.maxLength + 1))
        }
    }

    @Test func serialisesWhatItParses() throws {
        let m = LongPollMessage(.error, ["errorType": "busy"])
        #expect(m.text == #"ERROR {"errorType":"busy"}"#)
        #expect(try parse(m.text) == m)
        #expect(LongPollMessage(.bye).text == "BYE")
    }

    @Test func tokensKeepSyntaxOut() {
        #expect(SignalingToken.isUser("1001"))
        #expect(!SignalingToken.isUser("a b"))
        #expect(!SignalingToken.isUser("1001>;x"))
        #expect(!SignalingToken.isUser("é"))
        #expect(SignalingToken.isNumber("*97#"))
        #expect(SignalingToken.isDTMF("123#"))
        #expect(!SignalingToken.isDTMF("12x"))
    }
}
