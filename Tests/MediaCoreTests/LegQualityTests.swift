import MediaCore
import Testing

@Suite struct LegQualityTests {
    private func leg(received: UInt64, lost: UInt64, jitterMs: Double, rttMs: Double?) -> LegQuality {
        LegQuality(packetsReceived: received, packetsSent: received, lost: lost, concealedFrames: 0, srtpAuthFailures: 0,
                   jitterMicros: UInt32(jitterMs * 1000), roundTripMicros: rttMs.map { UInt32($0 * 1000) })
    }

    /// Reference points of the simplified E-model, worked by hand: a clean LAN call (R 92.9) scores 4.40,
    /// 1 % loss (R 90.4) 4.35, 5 % loss with 30 ms of jitter and 300 ms of round trip (R 70.7) 3.63,
    /// half the packets lost the floor of 1; nothing received, no score.
    @Test func theScoreFallsWithLossJitterAndDelay() throws {
        let clean = try #require(leg(received: 1000, lost: 0, jitterMs: 1, rttMs: 1).mos)
        #expect(abs(clean - 4.40) < 0.005)
        let onePercent = try #require(leg(received: 990, lost: 10, jitterMs: 1, rttMs: 1).mos)
        #expect(abs(onePercent - 4.35) < 0.005)
        let poor = try #require(leg(received: 950, lost: 50, jitterMs: 30, rttMs: 300).mos)
        #expect(abs(poor - 3.63) < 0.005)
        let awful = try #require(leg(received: 500, lost: 500, jitterMs: 100, rttMs: 1000).mos)
        #expect(awful == 1)
        #expect(leg(received: 0, lost: 0, jitterMs: 0, rttMs: nil).mos == nil)
        #expect(leg(received: 990, lost: 10, jitterMs: 0, rttMs: nil).lossPercent == 1)
    }
}
