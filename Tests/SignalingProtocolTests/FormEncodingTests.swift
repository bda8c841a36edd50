import SignalingProtocol
import Testing

@Suite struct FormEncodingTests {
    /// `GET /status?=` once ended the process (an index into an empty split).
    @Test func aBareEqualsSign() {
        #expect(FormEncoding.fields("=").isEmpty)
    }

    @Test func oddFormsRead() {
        for text in ["", "&&&", "=&=x&y=", "b", "%", "%4", "%zz=1", "a=b=c"] {
            _ = FormEncoding.fields(text)
        }
        #expect(FormEncoding.fields("1001") == ["1001": ""])
        #expect(FormEncoding.fields("x=b=c") == ["x": "b=c"])
        #expect(FormEncoding.fields("from=a%20b&to=c+d") == ["from": "a b", "to": "c d"])
        #expect(FormEncoding.fields("a=%4") == ["a": "%4"])
    }

    @Test func theNumberOfPairsIsBounded() {
        let many = (0..<1000).map { "k\($0)=v" }.joined(separator: "&")
        #expect(FormEncoding.fields(many).count == FormEncoding.maxPairs)
    }
}
