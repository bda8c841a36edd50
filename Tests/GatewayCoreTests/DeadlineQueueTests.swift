import GatewayCore
import Testing

@Suite struct DeadlineQueueTests {
    @Test func earliestFirstAndReplaced() {
        var q = DeadlineQueue<String>()
        q.set("a", at: 30)
        q.set("b", at: 10)
        q.set("c", at: 20)
        #expect(q.next() == 10)
        q.set("b", at: 40)          // replaced: its old entry no longer counts
        #expect(q.next() == 20)
        #expect(q.due(now: 30) == ["c", "a"])
        #expect(q.next() == 40)
        q.set("b", at: nil)
        #expect(q.next() == nil && q.isEmpty)
    }

    @Test func dueRemovesUntilSetAgain() {
        var q = DeadlineQueue<Int>()
        q.set(1, at: 5)
        #expect(q.due(now: 4).isEmpty)
        #expect(q.due(now: 5) == [1])
        #expect(q.due(now: 100).isEmpty)
        q.set(1, at: 50)
        #expect(q.due(now: 100) == [1])
    }

    /// Many replacements keep the heap bounded and the answers right.
    @Test func manyReplacements() {
        var q = DeadlineQueue<Int>()
        for round in 0..<100 {
            for owner in 0..<50 { q.set(owner, at: UInt64(1000 + round * 50 + owner)) }
        }
        #expect(q.next() == 1000 + 99 * 50)
        #expect(q.due(now: UInt64.max).count == 50)
    }
}
