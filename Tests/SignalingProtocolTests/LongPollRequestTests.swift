import SignalingProtocol
import Testing

@Suite struct LongPollRequestTests {
    private func parse(_ method: String, _ uri: String, _ body: String = "") -> Result<LongPollRequest, LongPollRequest.Refusal>? {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let query = parts.count > 1 ? FormEncoding.fields(parts[1]) : [:]
        return LongPollRequest.parse(method: method, path: String(parts[0]), query: query, body: Array(body.utf8))
    }

    @Test func signInAnonymouslyOrWithAPassword() {
        #expect(parse("GET", "/sign_in?1000") == .success(.signIn(user: "1000", password: nil, json: false)))
        #expect(parse("GET", "/sign_in?json&1000") == .success(.signIn(user: "1000", password: nil, json: true)))
        #expect(parse("POST", "/sign_in", " 1000:se:cret\r\n") == .success(.signIn(user: "1000", password: "se:cret", json: false)))
        #expect(parse("POST", "/sign_in?json", "1000:") == .success(.signIn(user: "1000", password: "", json: true)))
    }

    /// Several IDs in one query: the same one whatever order the query came in.
    @Test func anonymousIDIsChosenWhateverTheOrder() {
        #expect(parse("GET", "/sign_in?b&a") == .success(.signIn(user: "a", password: nil, json: false)))
        #expect(parse("GET", "/sign_in?a&b") == .success(.signIn(user: "a", password: nil, json: false)))
    }

    @Test func refusalsSayWhatIsMissing() {
        #expect(parse("GET", "/sign_in") == .failure(.noUser))
        #expect(parse("GET", "/sign_in?json&x=1") == .failure(.noUser))
        #expect(parse("POST", "/sign_in", "1000") == .failure(.noCredentials))
        #expect(parse("POST", "/sign_in", "") == .failure(.noCredentials))
        #expect(parse("GET", "/wait") == .failure(.noSession))
        #expect(parse("POST", "/message", "BYE") == .failure(.noSession))
        #expect(parse("POST", "/message?from=s", "HELLO") == .failure(.badMessage(.unknownWord("HELLO"))))
        #expect(parse("POST", "/message?from=s", "") == .failure(.badMessage(.empty)))
        #expect(LongPollRequest.Refusal.noSession.code == "no-session")
    }

    @Test func waitMessageAndSignOut() {
        #expect(parse("GET", "/wait?id=s&ack=3") == .success(.wait(session: "s", ack: 3)))
        // an ack that is no number is no ack (the client then gets its queue from the start)
        #expect(parse("GET", "/wait?id=s&ack=-1") == .success(.wait(session: "s", ack: nil)))
        #expect(parse("GET", "/wait?id=s&ack=18446744073709551616") == .success(.wait(session: "s", ack: nil)))
        #expect(parse("POST", "/message?from=s&to=echo", "BYE") == .success(.message(session: "s", peer: "echo", .init(.bye))))
        #expect(parse("POST", "/message?from=s", "BYE") == .success(.message(session: "s", peer: "", .init(.bye))))
        #expect(parse("GET", "/sign_out?id=s") == .success(.signOut(session: "s")))
        #expect(parse("POST", "/sign_out?id=s") == .success(.signOut(session: "s")))
    }

    @Test func otherRequestsAreNoLongPollRoute() {
        #expect(parse("GET", "/status") == nil)
        #expect(parse("POST", "/wait?id=s") == nil)
        #expect(parse("GET", "/message?from=s") == nil)
        #expect(parse("PUT", "/sign_in?1000") == nil)
        #expect(LongPollRequest.paths.contains("/wait"))
    }
}
