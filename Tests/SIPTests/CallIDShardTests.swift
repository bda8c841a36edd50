@testable import SIP
import Testing

/// The shard a datagram goes to: the same for every message of a call, as each
/// peer may write its Call-ID header (long or compact name, any case, blanks
/// around the colon and the value); shard 0 for anything without one.
@Suite struct CallIDShardTests {
    func datagram(_ head: String, body: String = "") -> [UInt8] {
        Array((head.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n" + body).utf8)
    }

    let invite = """
        INVITE sip:echo@127.0.0.1 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bKa1
        From: <sip:1001@example.com>;tag=f1
        To: <sip:echo@127.0.0.1>
        Call-ID: 7@host.example
        CSeq: 1 INVITE
        Content-Length: 0

        """

    @Test func everyFormOfTheHeaderFindsTheSameValue() {
        let forms = ["Call-ID: 7@host.example", "call-id:7@host.example", "CALL-ID \t:  7@host.example  ", "i: 7@host.example",
                     "I:7@host.example"]
        for form in forms {
            let message = datagram("SIP/2.0 200 OK\nVia: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bKa1\n\(form)\nCSeq: 1 INVITE\n")
            #expect(CallIDShard.callID(in: message).map { String(decoding: message[$0], as: UTF8.self) } == "7@host.example", "\(form)")
        }
    }

    @Test func theMessagesOfACallMeetOnOneShard() {
        for count in 2...8 {
            let request = CallIDShard.of(datagram(invite), among: count)
            let response = CallIDShard.of(datagram("SIP/2.0 180 Ringing\ni:   7@host.example\nCSeq: 1 INVITE\n"), among: count)
            #expect(request == response)
            #expect((0..<count).contains(request))
        }
    }

    @Test func callsSpreadOverTheShards() {
        var counts = [0, 0, 0, 0]
        for n in 0..<4000 {
            counts[CallIDShard.of(datagram(invite.replacingOccurrences(of: "7@host.example", with: "\(n)-a8f3@10.0.0.1")), among: 4)] += 1
        }
        #expect(counts.allSatisfy { $0 > 800 }, "\(counts)")
    }

    @Test func withoutACallIDTheFirstShardAnswers() {
        #expect(CallIDShard.of(datagram("OPTIONS sip:a@b SIP/2.0\nVia: x\n"), among: 4) == 0)
        // A Call-ID in the body is not the message's.
        #expect(CallIDShard.callID(in: datagram("OPTIONS sip:a@b SIP/2.0\nCSeq: 1 OPTIONS\n", body: "Call-ID: 9\r\n")) == nil)
        #expect(CallIDShard.callID(in: datagram("MESSAGE sip:a@b SIP/2.0\nCall-ID:   \nX-Call-ID: 4\n")) == nil)
        #expect(CallIDShard.of([], among: 4) == 0)
        #expect(CallIDShard.of(datagram(invite), among: 1) == 0)
        #expect(CallIDShard.of(datagram(invite), among: 0) == 0)
    }

    @Test func strayBytesNeverLeaveTheBounds() {
        let pieces: [[UInt8]] = [[13], [10], [58], [32], Array("i".utf8), Array("Call-ID".utf8), [0xff], [9]]
        var state: UInt64 = 1
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(state % 12) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes += pieces[Int(state >> 33) % pieces.count]
            }
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            #expect((0..<3).contains(CallIDShard.of(bytes, among: 3)))
        }
    }
}
