import GatewayCore
import SignalingProtocol
import Testing

/// A long-poll client's messages on a fake clock (µs).
@Suite struct LongPollQueueTests {
    static let second: UInt64 = 1_000_000
    func word(_ w: LongPollMessage.Word) -> [(peer: String, message: LongPollMessage)] { [("2000", LongPollMessage(w))] }

    @Test func oneMessagePerWaitInOrder() {
        var q = LongPollQueue(now: 0, expiry: 30 * Self.second)
        let pushed = q.push(word(.invite)) && q.push(word(.eventTalk))
        #expect(pushed)
        let early = q.take(now: 0)
        #expect(early == nil)                                // nobody waiting
        q.wait(ack: nil, now: 1)
        let first = q.take(now: 1), again = q.take(now: 1)
        #expect(first?.message.word == .invite && again == nil)   // one per /wait
        q.wait(ack: nil, now: 2)
        let talk = q.take(now: 2)
        #expect(talk?.message.word == .eventTalk && talk?.seq == 2 && talk?.peer == "2000")
        q.wait(ack: nil, now: 3)
        let nothing = q.take(now: 3)
        #expect(nothing == nil && q.isWaiting)               // parked until the next push
        _ = q.push(word(.bye))
        let bye = q.take(now: 4)
        #expect(bye?.message.word == .bye)
    }

    /// A client that acknowledges gets an unacknowledged message again: a lost response loses nothing.
    @Test func unacknowledgedMessagesComeAgain() {
        var q = LongPollQueue(now: 0, expiry: 30 * Self.second)
        _ = q.push(word(.invite))
        _ = q.push(word(.bye))
        q.wait(ack: 0, now: 0)
        let invite = q.take(now: 0)
        q.wait(ack: 0, now: 1)                               // it never got seq 1
        let again = q.take(now: 1)
        #expect(again == invite)
        q.wait(ack: 1, now: 2)                               // now it did
        let bye = q.take(now: 2)
        #expect(bye?.message.word == .bye)
    }

    /// For a client that does not acknowledge, a response that could not be written goes out first next time.
    @Test func anUndeliveredResponseGoesFirst() {
        var q = LongPollQueue(now: 0, expiry: 30 * Self.second)
        _ = q.push(word(.invite))
        _ = q.push(word(.bye))
        q.wait(ack: nil, now: 0)
        let invite = q.take(now: 0)!
        q.undelivered(invite)
        q.wait(ack: nil, now: 1)
        let again = q.take(now: 1)
        #expect(again == invite)
    }

    @Test func theQueueIsBounded() {
        var q = LongPollQueue(now: 0, expiry: 30 * Self.second)
        var taken = 0
        for _ in 0..<LongPollQueue.maxQueue where q.push(word(.eventTalk)) { taken += 1 }
        let overflow = q.push(word(.bye))
        #expect(taken == LongPollQueue.maxQueue && !overflow)
    }

    /// A client that stops polling expires after `expiry`; one with a /wait parked does not.
    @Test func aClientThatStopsPollingExpires() {
        var q = LongPollQueue(now: 0, expiry: 30 * Self.second)
        #expect(!q.isExpired(now: 30 * Self.second))
        #expect(q.isExpired(now: 30 * Self.second + 1))
        q.wait(ack: nil, now: 40 * Self.second)
        #expect(!q.isExpired(now: 100 * Self.second))        // waiting: still there
        q.waitEnded(now: 65 * Self.second)                   // its /wait answered empty at 65 s
        #expect(!q.isExpired(now: 95 * Self.second) && q.isExpired(now: 95 * Self.second + 1))
    }
}
