import SignalingProtocol
import Testing

@Suite struct ClientMessageTests {
    func decode(_ s: String) throws(ClientMessage.DecodeError) -> ClientMessage { try ClientMessage(decoding: Array(s.utf8)) }

    @Test func everyRequestOfTheProtocol() throws {
        #expect(try decode(#"{"type":"sign-in","user":"1001","password":"pw"}"#) == .signIn(user: "1001", password: "pw"))
        #expect(try decode(#"{"type":"sign-out"}"#) == .signOut)
        #expect(try decode(#"{"type":"ping"}"#) == .ping)
        #expect(try decode(#"{"type":"call","call":"c1","to":"2000","sdp":"v=0"}"#) == .call(id: "c1", .place(to: "2000", sdp: "v=0")))
        #expect(try decode(#"{"type":"answer","call":"c1","sdp":"v=0"}"#) == .call(id: "c1", .answer(sdp: "v=0")))
        #expect(try decode(#"{"type":"reject","call":"c1"}"#) == .call(id: "c1", .reject))
        #expect(try decode(#"{"type":"hangup","call":"c1"}"#) == .call(id: "c1", .hangup))
        #expect(try decode(#"{"type":"dtmf","call":"c1","digits":"12#"}"#) == .call(id: "c1", .dtmf(digits: "12#")))
        #expect(try decode(#"{"type":"hold","call":"c1"}"#) == .call(id: "c1", .hold))
        #expect(try decode(#"{"type":"resume","call":"c1"}"#) == .call(id: "c1", .resume))
        #expect(try decode(#"{"type":"info","call":"c1","map":true,"content":{"a":1,"b":"x y"}}"#)
                == .call(id: "c1", .info(content: ["a": 1, "b": "x y"], map: true)))
        #expect(try decode(#"{"type":"candidate","call":"c1","candidate":"x"}"#) == .call(id: "c1", .candidate))
        #expect(try decode(#"{"type":"teleport","call":"c1"}"#) == .call(id: "c1", .unknown(type: "teleport")))
    }

    /// Fields of the wrong JSON type are absent to the call model, which says what it needs.
    @Test func fieldsOfTheWrongTypeAreAbsent() throws {
        #expect(try decode(#"{"type":"sign-in","user":1001}"#) == .signIn(user: nil, password: nil))
        #expect(try decode(#"{"type":"hangup","call":7}"#) == .call(id: nil, .hangup))
        #expect(try decode(#"{"type":"info","call":"c","content":[1],"map":"yes"}"#) == .call(id: "c", .info(content: [:], map: false)))
    }

    @Test func whatIsNotAMessage() {
        #expect(throws: ClientMessage.DecodeError.notAnObject) { try decode("[1,2]") }
        #expect(throws: ClientMessage.DecodeError.notAnObject) { try decode("{\"type\":") }
        #expect(throws: ClientMessage.DecodeError.notAnObject) {
            try ClientMessage(decoding: Array(repeating: 0x20, count: ClientMessage.maxLength + 1))
        }
        #expect(throws: ClientMessage.DecodeError.noType) { try decode(#"{"call":"c1"}"#) }
        #expect(throws: ClientMessage.DecodeError.noType) { try decode(#"{"type":5}"#) }
    }

    @Test func aMessageSurvivesEncodeAndDecode() throws {
        let messages: [ClientMessage] = [.signIn(user: "a", password: "b"), .ping,
                                         .call(id: "x", .place(to: "2000", sdp: "v=0")),
                                         .call(id: "x", .info(content: ["k": .array([1, .null, .number(2.5)])], map: false))]
        for m in messages {
            #expect(try ClientMessage(decoding: Array(JSONValue.object(m.object).jsonText.utf8)) == m)
        }
    }
}

@Suite struct ServerEventTests {
    @Test func eventsAsTheWebSocketSendsThem() {
        #expect(ServerEvent.signedIn(user: "1001", session: "S").json == #"{"session":"S","type":"signed-in","user":"1001"}"#)
        #expect(ServerEvent.incoming(call: "c", from: "2000", fromName: nil).json == #"{"call":"c","from":"2000","type":"incoming"}"#)
        #expect(ServerEvent.incoming(call: "c", from: "2000", fromName: "Bob").object["fromName"] == "Bob")
        #expect(ServerEvent.incoming(call: "c", from: "2000", fromName: nil, data: ["Account": "42"], offer: "v=0").json
                == #"{"call":"c","data":{"Account":"42"},"from":"2000","type":"incoming"}"#)   // no offer in this protocol
        #expect(ServerEvent.ended(call: "c", code: 486, reason: "Busy Here", cause: .busy).json
                == #"{"call":"c","cause":"busy","code":486,"reason":"Busy Here","type":"ended"}"#)
        #expect(ServerEvent.held(call: "c", by: .remote).json == #"{"by":"remote","call":"c","type":"held"}"#)
        #expect(ServerEvent.registrationLost(code: 503, reason: "x").object["state"] == "lost")
        #expect(ServerEvent.error(SignalingError(.inUse, "m", request: "sign-in")).json
                == #"{"code":"in-use","message":"m","request":"sign-in","type":"error"}"#)
        #expect(ServerEvent.sdp(call: "c", sdp: "m=audio 9 UDP/TLS/RTP/SAVPF 0").json.contains("UDP/TLS/RTP/SAVPF"))
    }

    @Test func theCallAnEventIsAbout() {
        #expect(ServerEvent.answered(call: "c").call == "c")
        #expect(ServerEvent.error(SignalingError(.noSuchCall, "m", call: "d")).call == "d")
        #expect(ServerEvent.pong.call == nil)
    }
}

@Suite struct EndCauseTests {
    @Test func theTableFromSIPStatusToCause() {
        let expected: [(Int, EndCause)] = [(200, .hangup), (404, .notFound), (484, .notFound), (604, .notFound),
                                           (486, .busy), (600, .busy), (480, .unavailable), (408, .timeout),
                                           (487, .cancelled), (603, .rejected), (401, .forbidden), (403, .forbidden),
                                           (407, .forbidden), (415, .notAcceptable), (488, .notAcceptable),
                                           (606, .notAcceptable), (302, .redirected), (500, .serverError), (503, .serverError),
                                           (410, .failed), (0, .failed)]
        for (code, cause) in expected { #expect(EndCause(sipStatus: code) == cause, "\(code)") }
    }
}
