import CGatewayMedia
import Testing

/// Drives a jitter buffer with 20 ms frames: packets arrive at chosen times,
/// playout runs every 20 ms, and what came out is recorded.
final class JitterHarness {
    let jb: OpaquePointer
    private(set) var played: [UInt16] = []
    private(set) var missing = 0
    private(set) var nothing = 0

    init(minDelay: UInt32 = 20, maxDelay: UInt32 = 200, capacity: UInt16 = 32, maxPayload: UInt16 = 200) {
        var cfg = gwm_jitter_config()
        gwm_jitter_config_default(8000, &cfg)
        cfg.min_delay_ms = minDelay
        cfg.max_delay_ms = maxDelay
        cfg.capacity = capacity
        cfg.max_payload = maxPayload
        var out: OpaquePointer?
        precondition(gwm_jitter_create(&cfg, &out) == 0)
        jb = out!
    }

    deinit { gwm_jitter_destroy(jb) }

    @discardableResult
    func put(_ seq: UInt16, at ms: UInt64, payload: [UInt8]? = nil) -> Int32 {
        let bytes = payload ?? [UInt8(truncatingIfNeeded: seq), UInt8(truncatingIfNeeded: seq >> 8)]
        return gwm_jitter_put(jb, seq, UInt32(seq) &* 160, 0, bytes, bytes.count, ms * 1000)
    }

    func tick(at ms: UInt64) {
        var f = gwm_jitter_frame()
        gwm_jitter_get(jb, ms * 1000, &f)
        switch f.result {
        case GWM_JITTER_FRAME:
            let p = UnsafeBufferPointer(start: f.payload, count: f.payload_length)
            precondition(UInt16(p[0]) | UInt16(p[1]) << 8 == f.sequence, "payload belongs to its sequence")
            played.append(f.sequence)
        case GWM_JITTER_MISSING: missing += 1
        default: nothing += 1
        }
    }

    var stats: gwm_jitter_stats {
        var s = gwm_jitter_stats()
        gwm_jitter_stats_get(jb, &s)
        return s
    }

    /// Packet `i` (sequence base+i) sent at 20*i ms and delivered `delay(i)` ms later;
    /// playout ticks every 20 ms until `until` ms.
    func run(count: Int, base: UInt16 = 100, until: UInt64, delay: (Int) -> UInt64?) {
        var arrivals: [(UInt64, UInt16)] = []
        for i in 0..<count { if let d = delay(i) { arrivals.append((UInt64(i) * 20 + d, base &+ UInt16(i))) } }
        arrivals.sort { $0.0 < $1.0 }
        var next = 0
        for t in stride(from: UInt64(0), through: until, by: 5) {
            while next < arrivals.count && arrivals[next].0 <= t { put(arrivals[next].1, at: t); next += 1 }
            if t % 20 == 0 { tick(at: t) }
        }
    }
}

@Suite struct JitterBufferTests {
    @Test func playsAnOrderedStreamInOrderAfterTheTargetDelay() {
        let h = JitterHarness()
        h.run(count: 50, until: 1200) { _ in 0 }
        #expect(h.played == Array(100..<150))
        #expect(h.stats.lost == 0 && h.stats.late == 0 && h.stats.duplicate == 0)
        #expect(h.stats.current_delay_ms <= 40)
    }

    @Test func reordersSwappedPackets() {
        let h = JitterHarness(minDelay: 60)
        // every 5th packet arrives 30 ms late, after its successor
        h.run(count: 100, until: 2400) { i in i % 5 == 2 ? 30 : 0 }
        #expect(h.played == Array(100..<200))
        #expect(h.stats.lost == 0 && h.stats.late == 0)
    }

    @Test func countsLossAndHandsOutTheNextPacketForFEC() {
        let h = JitterHarness(minDelay: 40)
        h.put(10, at: 0); h.put(12, at: 40); h.put(13, at: 60)
        var f = gwm_jitter_frame()
        gwm_jitter_get(h.jb, 40_000, &f)
        #expect(f.result == GWM_JITTER_FRAME && f.sequence == 10)
        gwm_jitter_get(h.jb, 60_000, &f)
        #expect(f.result == GWM_JITTER_MISSING && f.sequence == 11)
        #expect(f.next_payload != nil && f.next_payload_length == 2)
        gwm_jitter_get(h.jb, 80_000, &f)
        #expect(f.result == GWM_JITTER_FRAME && f.sequence == 12)
        #expect(h.stats.lost == 1)
    }

    @Test func dropsDuplicatesAndLatePackets() {
        let h = JitterHarness()
        h.put(1, at: 0); h.put(1, at: 1)          // duplicate while buffered
        h.tick(at: 20); h.tick(at: 40)            // plays 1, then conceals (dry)
        h.put(1, at: 41)                          // duplicate of a played packet
        h.put(3, at: 42)
        h.tick(at: 60)                            // 2 is missing: 3 is waiting
        h.put(2, at: 61)                          // too late
        h.tick(at: 80)
        #expect(h.played == [1, 3])
        #expect(h.stats.duplicate == 2 && h.stats.late == 1 && h.stats.lost == 1)
    }

    @Test func targetDelayFollowsJitterWithinBounds() {
        var rng = SeededRandom(seed: 7)
        let calm = JitterHarness(minDelay: 20, maxDelay: 200)
        calm.run(count: 200, until: 4400) { _ in 0 }
        let jittery = JitterHarness(minDelay: 20, maxDelay: 200)
        jittery.run(count: 200, until: 4400) { _ in UInt64.random(in: 0...60, using: &rng) }
        let bounded = JitterHarness(minDelay: 20, maxDelay: 60)
        var rng2 = SeededRandom(seed: 7)
        bounded.run(count: 200, until: 4400) { _ in UInt64.random(in: 0...150, using: &rng2) }

        #expect(calm.stats.target_delay_ms == 20)
        #expect(calm.stats.jitter_us < 1000)
        #expect(jittery.stats.jitter_us > 10_000)
        #expect(jittery.stats.target_delay_ms >= 40 && jittery.stats.target_delay_ms <= 200)
        #expect(bounded.stats.target_delay_ms == 60)
        // With the adapted delay few packets of the jittery stream miss their turn.
        #expect(jittery.stats.late + jittery.stats.lost < 20)
        #expect(jittery.played.count > 180)
    }

    @Test func memoryIsBoundedAndOversizedPayloadsRefused() {
        let h = JitterHarness(capacity: 16, maxPayload: 100)
        #expect(h.put(1, at: 0, payload: [UInt8](repeating: 0, count: 101)) == GWM_ERR_TOO_LARGE.rawValue)
        for s in UInt16(1)...16 { h.put(s, at: 0) }
        #expect(h.stats.buffered == 16)
        h.put(500, at: 0)                         // far ahead: resynchronises instead of growing
        #expect(h.stats.buffered == 1 && h.stats.resets == 1)
    }

    @Test func pausedStreamPrimesAgainAndSequenceRestartResynchronises() {
        let h = JitterHarness(maxDelay: 100)
        h.run(count: 10, until: 400) { _ in 0 }   // talk spurt, then silence
        #expect(h.played == Array(100..<110))
        #expect(h.stats.concealed <= 5)           // conceals up to max delay, then waits
        let nothingBefore = h.nothing
        h.tick(at: 420)
        #expect(h.nothing == nothingBefore + 1)
        // The sender restarts from another sequence far behind: after a run of
        // "late" packets the buffer follows it.
        for i in 0..<20 { h.put(UInt16(10 + i), at: UInt64(500 + i * 20)); h.tick(at: UInt64(500 + i * 20)) }
        #expect(h.stats.resets == 1)
        #expect(h.played.last.map { $0 >= 18 } == true)
    }
}
