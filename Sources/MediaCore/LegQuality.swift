import CGatewayMedia

/// How the stream from one leg arrived, as the bridge measured it (RFC 3550
/// loss and interarrival jitter, the round trip from RTCP), with a mean
/// opinion score estimated from them.
public struct LegQuality: Sendable, Equatable, Codable {
    public var packetsReceived: UInt64
    public var packetsSent: UInt64
    /// RTP payload bytes taken from and sent to this leg.
    public var bytesReceived: UInt64 = 0
    public var bytesSent: UInt64 = 0
    /// Packets of the stream from this leg that never came.
    public var lost: UInt64
    public var concealedFrames: UInt64
    public var srtpAuthFailures: UInt64
    public var jitterMicros: UInt32
    /// From RTCP (LSR/DLSR); nil until a report gave it.
    public var roundTripMicros: UInt32?

    public init(packetsReceived: UInt64, packetsSent: UInt64, lost: UInt64, concealedFrames: UInt64, srtpAuthFailures: UInt64,
                jitterMicros: UInt32, roundTripMicros: UInt32?) {
        self.packetsReceived = packetsReceived
        self.packetsSent = packetsSent
        self.lost = lost
        self.concealedFrames = concealedFrames
        self.srtpAuthFailures = srtpAuthFailures
        self.jitterMicros = jitterMicros
        self.roundTripMicros = roundTripMicros
    }

    init(_ s: gwm_leg_stats) {
        self.init(packetsReceived: s.packets_received, packetsSent: s.packets_sent, lost: UInt64(max(s.cumulative_lost, 0)),
                  concealedFrames: s.concealed, srtpAuthFailures: s.srtp_auth_failures, jitterMicros: s.jitter_us,
                  roundTripMicros: s.round_trip_us == 0 ? nil : s.round_trip_us)
        bytesReceived = s.bytes_received
        bytesSent = s.bytes_sent
    }

    /// Lost packets in percent of those expected.
    public var lossPercent: Double {
        let expected = packetsReceived &+ lost
        return expected == 0 ? 0 : Double(lost) * 100 / Double(expected)
    }

    /// The mean opinion score (1 to 4.5) by the simplified E-model (ITU-T G.107) that rtpengine
    /// and FreeSWITCH use: the R factor from the effective latency (half the round trip, twice the
    /// jitter, 10 ms for the codec) less 2.5 per percent of loss, mapped to a MOS. No codec
    /// impairment: G.711 and Opus at their rates have next to none. nil before any packet came.
    public var mos: Double? {
        guard packetsReceived > 0 else { return nil }
        let latency = Double(roundTripMicros ?? 0) / 2000 + Double(jitterMicros) / 500 + 10
        var r = latency < 160 ? 93.2 - latency / 40 : 93.2 - (latency - 120) / 10
        r -= lossPercent * 2.5
        r = min(max(r, 0), 100)
        let score = 1 + 0.035 * r + 0.000007 * r * (r - 60) * (100 - r)
        return min(max(score, 1), 4.5)
    }
}

extension MediaBridge {
    /// How the stream from `side` arrived so far.
    public func quality(_ side: Side) -> LegQuality { LegQuality(stats(side.leg)) }
}
