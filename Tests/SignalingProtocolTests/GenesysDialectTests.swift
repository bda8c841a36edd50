import SignalingProtocol
import Testing

@Suite struct GenesysDialectTests {
    func word(_ s: String) throws -> LongPollMessage { try LongPollMessage(parsing: Array(s.utf8)) }
    func texts(_ words: [(peer: String, message: LongPollMessage)]) -> [String] { words.map { "\($0.peer) \($0.message.text)" } }

    /// The browser places a call by offering to a new peer; the call is named by that peer from then on.
    @Test func anOutgoingCallNamedByItsPeer() throws {
        var dialect = GenesysDialect()
        let offer = try word(#"RSMP {"messageType":"OFFER","sdp":"v=0","Candidates":[]}"#)
        let placed = dialect.request(for: offer, peer: "2000", standing: { _ in nil }, newCallID: { "c1" })
        #expect(placed == .message(.call(id: "c1", .place(to: "2000", sdp: "v=0"))))
        #expect(dialect.call(named: "2000") == "c1")
        #expect(texts(dialect.words(for: .sdp(call: "c1", sdp: "v=0")))
                == [#"2000 RSMP {"Candidates":[],"messageType":"ANSWER","sdp":"v=0"}"#])
        #expect(texts(dialect.words(for: .progress(call: "c1", code: 180, reason: "Ringing", earlyMedia: false))) == [])
        #expect(texts(dialect.words(for: .answered(call: "c1"))) == ["2000 EVENT-TALK"])
        let hold = dialect.request(for: try word("EVENT-HOLD"), peer: "2000", standing: { _ in nil }, newCallID: { "?" })
        #expect(hold == .message(.call(id: "c1", .hold)))
        #expect(texts(dialect.words(for: .held(call: "c1", by: .local))) == ["2000 EVENT-HOLD"])
        let bye = dialect.request(for: try word("BYE"), peer: "2000", standing: { _ in .init(ringing: false, incoming: false) },
                                  newCallID: { "?" })
        #expect(bye == .message(.call(id: "c1", .hangup)))
        #expect(texts(dialect.words(for: .ended(call: "c1", code: 0, reason: "hung up", cause: .hangup)))
                == ["2000 GET-STATS", "2000 BYE"])
        #expect(dialect.call(named: "2000") == nil)
    }

    /// A failed call says why before its BYE, in the words the Genesys client reads.
    @Test func aFailedCallSaysWhy() {
        var dialect = GenesysDialect()
        _ = dialect.request(for: LongPollMessage(.rsmp, ["messageType": "OFFER", "sdp": "v=0"]), peer: "busy",
                            standing: { _ in nil }, newCallID: { "c2" })
        #expect(texts(dialect.words(for: .ended(call: "c2", code: 486, reason: "Busy Here", cause: .busy)))
                == [#"busy ERROR {"code":486,"errorType":"busy","reason":"Busy Here"}"#, "busy GET-STATS", "busy BYE"])
    }

    /// An incoming call rings as INVITE from its caller; the browser answers by offering to it, or declines by BYE.
    @Test func anIncomingCallAnsweredOrDeclined() throws {
        var dialect = GenesysDialect()
        #expect(texts(dialect.words(for: .incoming(call: "in1", from: "2000", fromName: nil))) == ["2000 INVITE"])
        // A second call from the same caller at once is told apart.
        #expect(texts(dialect.words(for: .incoming(call: "in2", from: "2000", fromName: nil))) == ["2000#in2 INVITE"])
        let ringing: (String) -> GenesysDialect.CallStanding? = { _ in .init(ringing: true, incoming: true) }
        let answer = dialect.request(for: try word(#"RSMP {"messageType":"OFFER","sdp":"o"}"#), peer: "2000",
                                     standing: ringing, newCallID: { "new" })
        #expect(answer == .message(.call(id: "in1", .answer(sdp: "o"))))
        let decline = dialect.request(for: try word("BYE"), peer: "2000#in2", standing: ringing, newCallID: { "new" })
        #expect(decline == .message(.call(id: "in2", .reject)))
    }

    @Test func infoBothWays() throws {
        var dialect = GenesysDialect()
        _ = dialect.words(for: .incoming(call: "c", from: "2000", fromName: nil))
        let map = dialect.request(for: try word(#"INFO-MAP {"a":"1","b":"x y"}"#), peer: "2000", standing: { _ in nil },
                                  newCallID: { "?" })
        #expect(map == .message(.call(id: "c", .info(content: ["a": "1", "b": "x y"], map: true))))
        let text = dialect.request(for: try word("INFO-PEER hello"), peer: "2000", standing: { _ in nil }, newCallID: { "?" })
        #expect(text == .message(.call(id: "c", .info(content: ["text": "hello"], map: false))))
        #expect(texts(dialect.words(for: .dtmf(call: "c", digit: "5"))) == [#"2000 INFO-PEER {"dtmf":"5"}"#])
        #expect(texts(dialect.words(for: .info(call: "c", content: ["k": "v"], map: true))) == [#"2000 INFO-MAP {"k":"v"}"#])
    }

    @Test func wordsABrowserDoesNotSend() throws {
        var dialect = GenesysDialect()
        let none: (String) -> GenesysDialect.CallStanding? = { _ in nil }
        for text in ["INVITE", "GET-STATS", "ERROR x", #"SDP {"sdp":"v=0"}"#] {
            guard case .refused = dialect.request(for: try word(text), peer: "p", standing: none, newCallID: { "?" }) else {
                Issue.record("\(text) was taken")
                continue
            }
        }
        #expect(dialect.request(for: try word("EVENT-TALK"), peer: "nobody", standing: none, newCallID: { "?" })
                == .refused("no call with nobody"))
        #expect(dialect.request(for: try word("BYE"), peer: "nobody", standing: none, newCallID: { "?" }) == .nothing)
        #expect(dialect.request(for: try word(#"RSMP {"messageType":"OK"}"#), peer: "p", standing: none, newCallID: { "?" })
                == .nothing)
        #expect(dialect.request(for: try word(#"PUT-STATS {"rtt":1}"#), peer: "p", standing: none, newCallID: { "?" })
                == .statistics(call: nil, text: #"PUT-STATS {"rtt":1}"#))
    }

    /// The JSON word carries this gateway's own messages over long-poll.
    @Test func theJSONWord() throws {
        var dialect = GenesysDialect()
        let m = dialect.request(for: try word(#"JSON {"type":"hangup","call":"c9"}"#), peer: "", standing: { _ in nil },
                                newCallID: { "?" })
        #expect(m == .message(.call(id: "c9", .hangup)))
        guard case .refused = dialect.request(for: try word(#"JSON {"call":"c9"}"#), peer: "", standing: { _ in nil },
                                              newCallID: { "?" }) else { Issue.record("a JSON word without a type was taken"); return }
    }

    /// Errors and registration loss reach the app as ERROR words.
    @Test func errorsAsErrorWords() {
        var dialect = GenesysDialect()
        #expect(texts(dialect.words(for: .error(SignalingError(.badState, "not ringing"))))
                == [#" ERROR {"errorType":"bad-state","message":"not ringing"}"#])
        #expect(texts(dialect.words(for: .registrationLost(code: 503, reason: "down")))
                == [#" ERROR {"code":503,"errorType":"registration-lost","reason":"down"}"#])
    }
}
