import SignalingProtocol
import XCTest

final class LongPollMessageTests: XCTestCase {
    func parse(_ s: String) throws -> LongPollMessage { try LongPollMessage(parsing: Array(s.utf8)) }

    func testWordsWithAndWithoutJSON() throws {
        let offer = try parse(#"RSMP {"messageType":"OFFER","sdp":"v=0","Candidates":[]}"#)
        XCTAssertEqual(offer.word, .rsmp)
        XCTAssertEqual(offer.object?["messageType"] as? String, "OFFER")
        XCTAssertEqual(try parse("BYE").word, .bye)
        XCTAssertEqual(try parse("  event-hold\r\n").word, .eventHold)
        XCTAssertEqual(try parse("INFO-PEER press 5").object?["text"] as? String, "press 5")
    }

    func testBadMessagesAreTypedErrors() {
        XCTAssertThrowsError(try parse("")) { XCTAssertEqual($0 as? LongPollMessage.ParseError, .empty) }
        XCTAssertThrowsError(try parse("HELLO {}")) { XCTAssertEqual($0 as? LongPollMessage.ParseError, .unknownWord("HELLO")) }
        XCTAssertThrowsError(try parse("RSMP")) { XCTAssertEqual($0 as? LongPollMessage.ParseError, .badJSON("RSMP")) }
        XCTAssertThrowsError(try parse("RSMP [1,2]")) { XCTAssertEqual($0 as? LongPollMessage.ParseError, .badJSON("RSMP")) }
        XCTAssertThrowsError(try LongPollMessage(parsing: [0x42, 0xff, 0xfe])) {
            XCTAssertEqual($0 as? LongPollMessage.ParseError, .notUTF8)
        }
        XCTAssertThrowsError(try LongPollMessage(parsing: Array(repeating: 0x41, count: LongPollMessage.maxLength + 1))) {
            XCTAssertEqual($0 as? LongPollMessage.ParseError, .tooLarge)
        }
    }

    func testSerialisesWhatItParses() throws {
        let m = LongPollMessage(.error, ["errorType": "busy"])
        XCTAssertEqual(m.text, #"ERROR {"errorType":"busy"}"#)
        XCTAssertEqual(try parse(m.text), m)
        XCTAssertEqual(LongPollMessage(.bye).text, "BYE")
    }

    func testTokensKeepSyntaxOut() {
        XCTAssertTrue(SignalingToken.isUser("1001"))
        XCTAssertFalse(SignalingToken.isUser("a b"))
        XCTAssertFalse(SignalingToken.isUser("1001>;x"))
        XCTAssertFalse(SignalingToken.isUser("é"))
        XCTAssertTrue(SignalingToken.isNumber("*97#"))
        XCTAssertTrue(SignalingToken.isDTMF("123#"))
        XCTAssertFalse(SignalingToken.isDTMF("12x"))
    }
}
