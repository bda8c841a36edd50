import SignalingProtocol
import Testing

@Suite struct GenesysDialectTests {
    func word(_ s: String) throws -> LongPollMessage { try LongPollMessage(parsing: Array(s.utf8)) }
    func texts(_ words: [(peer: String, message: LongPollMessage)]) -> [String] { words.map { "\($0.peer) \($0.message.text)" } }

    /// The browser places a call by offering to a new peer; the call is named by that peer from then on. Our
    /// ANSWER echoes the OFFER's ROAP ids and waits for the far end's answer; the browser's own BYE gets no word back.
    @Test func anOutgoingCallNamedByItsPeer() throws {
        var dialect = GenesysDialect()
        let offer = try word(#"RSMP {"messageType":"OFFER","offererSessionId":"101","seq":1,"sdp":"v=0","Candidates":[]}"#)
        let placed = dialect.request(for: offer, peer: "2000", standing: { _ in nil }, newCallID: { "c1" })
        #expect(placed == .message(.call(id: "c1", .place(to: "2000", sdp: "v=0"))))
        #expect(dialect.call(named: "2000") == "c1")
        #expect(texts(dialect.words(for: .sdp(call: "c1", sdp: "v=0"))) == [])
        #expect(texts(dialect.words(for: .progress(call: "c1", code: 180, reason: "Ringing", earlyMedia: false))) == [])
        #expect(texts(dialect.words(for: .answered(call: "c1")))
                == [#"2000 RSMP {"Candidates":[],"answererSessionId":"gw1","messageType":"ANSWER","offererSessionId":"101","# +
                    #""sdp":"v=0","seq":1}"#])
        // Its own hold is confirmed by the ANSWER to its re-offer; the SIP side's hold tells it to hold.
        #expect(texts(dialect.words(for: .held(call: "c1", by: .local))) == [])
        #expect(texts(dialect.words(for: .held(call: "c1", by: .remote))) == ["2000 EVENT-HOLD"])
        #expect(texts(dialect.words(for: .resumed(call: "c1", by: .remote))) == ["2000 EVENT-TALK"])
        let reoffer = try word(#"RSMP {"messageType":"OFFER","offererSessionId":"101","seq":2,"sdp":"v=1"}"#)
        #expect(dialect.request(for: reoffer, peer: "2000", standing: { _ in .init(ringing: false, incoming: false) },
                                newCallID: { "?" }) == .message(.call(id: "c1", .reoffer(sdp: "v=1"))))
        #expect(texts(dialect.words(for: .sdp(call: "c1", sdp: "v=1")))
                == [#"2000 RSMP {"Candidates":[],"answererSessionId":"gw2","messageType":"ANSWER","offererSessionId":"101","# +
                    #""sdp":"v=1","seq":2}"#])
        #expect(dialect.request(for: try word("GET-STATS"), peer: "2000", standing: { _ in nil }, newCallID: { "?" })
                == .message(.call(id: "c1", .stats)))
        #expect(texts(dialect.words(for: .stats(call: "c1", statistics: ["packetsToBrowser": 50])))
                == [#"2000 PUT-STATS {"packetsToBrowser":50}"#])
        let bye = dialect.request(for: try word("BYE"), peer: "2000", standing: { _ in .init(ringing: false, incoming: false) },
                                  newCallID: { "?" })
        #expect(bye == .message(.call(id: "c1", .hangup)))
        #expect(texts(dialect.words(for: .ended(call: "c1", code: 0, reason: "hung up", cause: .hangup))) == [])
        #expect(dialect.call(named: "2000") == nil)
    }

    /// `attacheddata` from `setData` rides on the OFFER; malformed items are left out.
    @Test func attachedDataOfAnOffer() throws {
        var dialect = GenesysDialect()
        let offer = try word(#"RSMP {"messageType":"OFFER","sdp":"v=0","attacheddata":[{"key":"Name","value":"Yong"},"# +
                             #"{"key":"Id","value":7},{"nokey":1},3]}"#)
        #expect(dialect.request(for: offer, peer: "2000", standing: { _ in nil }, newCallID: { "c4" })
                == .message(.call(id: "c4", .place(to: "2000", sdp: "v=0", data: ["Name": "Yong", "Id": "7"]))))
    }

    /// Early media releases the held answer; the far end's BYE reaches the client as BYE.
    @Test func earlyMediaAnswersAtOnceAndAFarEndByeIsABye() {
        var dialect = GenesysDialect()
        _ = dialect.request(for: LongPollMessage(.rsmp, ["messageType": "OFFER", "sdp": "v=0"]), peer: "2000",
                            standing: { _ in nil }, newCallID: { "c3" })
        _ = dialect.words(for: .sdp(call: "c3", sdp: "v=0"))
        let early = texts(dialect.words(for: .progress(call: "c3", code: 183, reason: "Session Progress", earlyMedia: true)))
        #expect(early.count == 1 && early[0].contains(#""messageType":"ANSWER""#))
        #expect(texts(dialect.words(for: .answered(call: "c3"))) == [])
        #expect(texts(dialect.words(for: .ended(call: "c3", code: 200, reason: "the far end hung up", cause: .hangup)))
                == ["2000 BYE"])
    }

    /// A failed call never showed the client an answer; it says why (as an error the client recognises) and BYE.
    @Test func aFailedCallSaysWhy() {
        var dialect = GenesysDialect()
        _ = dialect.request(for: LongPollMessage(.rsmp, ["messageType": "OFFER", "sdp": "v=0"]), peer: "busy",
                            standing: { _ in nil }, newCallID: { "c2" })
        #expect(texts(dialect.words(for: .sdp(call: "c2", sdp: "v=0"))) == [])
        let words = texts(dialect.words(for: .ended(call: "c2", code: 486, reason: "Busy Here", cause: .busy)))
        #expect(words == [#"busy RSMP {"code":486,"errorType":"busy","messageType":"ERROR","reason":"Busy Here"}"#, "busy BYE"])
        // What the Genesys client checks before it raises onGatewayError.
        let text = String(words[0].dropFirst("busy ".count))
        #expect(text.range(of: "ERROR")!.lowerBound > text.startIndex && text.contains("errorType") && text.contains("{"))
        #expect(!text.hasPrefix("BYE") && !text.hasPrefix("INVITE") && !text.contains("OFFER"))
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

    /// An incoming call with our offer rings as `SDP {OFFER}` (the client's onIncomingCall) with the INVITE's data
    /// as `attacheddata`; the client's ANSWER answers the call and gets our OK once it is up. Without an offer the
    /// data rides on our ANSWER to the client's offer. An ANSWER to anything else is refused.
    @Test func anIncomingCallOfferedToTheClient() throws {
        var dialect = GenesysDialect()
        let offered = texts(dialect.words(for: .incoming(call: "in1", from: "2000", fromName: nil, data: ["b": "2", "a": "1"],
                                                         offer: "v=0")))
        #expect(offered == [#"2000 SDP {"Candidates":[],"attacheddata":[{"key":"a","value":"1"},{"key":"b","value":"2"}],"# +
                            #""messageType":"OFFER","offererSessionId":"gw1","sdp":"v=0","seq":1}"#])
        let ringing: (String) -> GenesysDialect.CallStanding? = { _ in .init(ringing: true, incoming: true) }
        let answer = try word(#"RSMP {"messageType":"ANSWER","offererSessionId":"gw1","answererSessionId":"102","seq":1,"sdp":"a"}"#)
        #expect(dialect.request(for: answer, peer: "2000", standing: ringing, newCallID: { "?" })
                == .message(.call(id: "in1", .answer(sdp: "a"))))
        #expect(texts(dialect.words(for: .answered(call: "in1")))
                == [#"2000 RSMP {"answererSessionId":"102","messageType":"OK","offererSessionId":"gw1","seq":1}"#])

        _ = dialect.words(for: .incoming(call: "in2", from: "3000", fromName: nil, data: ["k": "v"]))
        _ = dialect.request(for: try word(#"RSMP {"messageType":"OFFER","offererSessionId":"7","seq":1,"sdp":"o"}"#),
                            peer: "3000", standing: ringing, newCallID: { "?" })
        #expect(texts(dialect.words(for: .sdp(call: "in2", sdp: "s")))
                == [#"3000 RSMP {"Candidates":[],"answererSessionId":"gw2","attacheddata":[{"key":"k","value":"v"}],"# +
                    #""messageType":"ANSWER","offererSessionId":"7","sdp":"s","seq":1}"#])
        guard case .refused = dialect.request(for: answer, peer: "3000", standing: ringing, newCallID: { "?" }) else {
            Issue.record("an ANSWER to a call we did not offer was taken")
            return
        }
    }

    /// INFO data is form-encoded both ways, as jQuery's `$.param` writes it and `Grtc.deparam` reads it.
    @Test func infoBothWays() throws {
        var dialect = GenesysDialect()
        _ = dialect.words(for: .incoming(call: "c", from: "2000", fromName: nil))
        let map = dialect.request(for: try word("INFO-MAP a=1&b=x+y%26z"), peer: "2000", standing: { _ in nil },
                                  newCallID: { "?" })
        #expect(map == .message(.call(id: "c", .info(content: ["a": "1", "b": "x y&z"], map: true))))
        let json = dialect.request(for: try word(#"INFO-PEER {"a":"1"}"#), peer: "2000", standing: { _ in nil }, newCallID: { "?" })
        #expect(json == .message(.call(id: "c", .info(content: ["a": "1"], map: false))))
        #expect(texts(dialect.words(for: .dtmf(call: "c", digit: "5"))) == ["2000 INFO-PEER dtmf=5"])
        #expect(texts(dialect.words(for: .info(call: "c", content: ["k": "v w", "a": "&"], map: true)))
                == ["2000 INFO-PEER a=%26&k=v+w"])
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

    /// Errors and registration loss reach the app as errors the Genesys client recognises.
    @Test func errorsAsErrorWords() {
        var dialect = GenesysDialect()
        #expect(texts(dialect.words(for: .error(SignalingError(.badState, "not ringing"))))
                == [#" RSMP {"errorType":"bad-state","message":"not ringing","messageType":"ERROR"}"#])
        #expect(texts(dialect.words(for: .registrationLost(code: 503, reason: "down")))
                == [#" RSMP {"code":503,"errorType":"registration-lost","messageType":"ERROR","reason":"down"}"#])
    }
}
