import SignalingProtocol
import Testing

@Suite struct RequestTargetTests {
    /// `GET /status?=` once ended the process (an index into an empty split).
    @Test func queryOfABareEqualsSign() {
        let target = RequestTarget(parsing: "/status?=")
        #expect(target.path == "/status")
        #expect(target.query.isEmpty)
    }

    @Test func oddQueriesParse() {
        for uri in ["?", "/?&&&", "/?=&=x&y=", "/a?b", "/a?%", "/a?%4", "/a?%zz=1", "", "?a=b=c"] {
            _ = RequestTarget(parsing: uri)
        }
        #expect(RequestTarget(parsing: "/sign_in?1001").query == ["1001": ""])
        #expect(RequestTarget(parsing: "/a?x=b=c").query == ["x": "b=c"])
        #expect(RequestTarget(parsing: "/m?from=a%20b&to=c+d").query == ["from": "a b", "to": "c d"])
        #expect(RequestTarget(parsing: "/m?a=%4").query == ["a": "%4"])
        #expect(RequestTarget(parsing: "").path == "/")
    }

    @Test func theNumberOfPairsIsBounded() {
        let many = (0..<1000).map { "k\($0)=v" }.joined(separator: "&")
        #expect(RequestTarget(parsing: "/x?" + many).query.count == RequestTarget.maxQueryPairs)
    }
}
