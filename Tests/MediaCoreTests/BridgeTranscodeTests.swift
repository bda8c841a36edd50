import CGatewayMedia
import MediaCore
import Testing

/// A call whose SIP side echoes: Opus from the "browser" on leg A is
/// transcoded to G.711 on leg B, sent straight back into leg B, and
/// transcoded to Opus on leg A again: Opus -> G.711 -> Opus.
struct EchoCall {
    var config = testBridgeConfig(a: GWM_CODEC_OPUS, b: GWM_CODEC_PCMU)
    var toneHz = 1000.0
    var levelDBFS = -12.0

    struct Result {
        var pcm: [Int16]               // what the browser decodes, 48 kHz
        var packets: [RTPPacket]       // what the browser receives
        var bridge: MediaBridge
    }

    func run(frames: Int, drop: (Int) -> Bool = { _ in false }) throws -> Result {
        let bridge = try MediaBridge(config: config)
        let encoder = try AudioEncoder(codec: .opus, sampleRate: 48000)
        var tone = SineTone(frequency: toneHz, sampleRate: 48000, levelDBFS: levelDBFS)
        var received: [RTPPacket] = []
        for n in 0..<frames + 30 {
            let now = UInt64(n) * 20_000
            if n < frames {
                let payload = try encoder.encode(tone.next(960))
                if !drop(n) {
                    let p = RTPPacket(payloadType: 111, sequence: UInt16(truncatingIfNeeded: 500 + n),
                                      timestamp: UInt32(n * 960), ssrc: 0xC0FFEE, payload: payload)
                    try bridge.receive(p.bytes, on: GWM_LEG_A, now: now)
                }
            }
            var pending = bridge.poll(now: now)
            while !pending.isEmpty {
                let out = pending.removeFirst()
                if out.isRTCP { continue }
                if out.leg == GWM_LEG_B {
                    try bridge.receive(out.bytes, on: GWM_LEG_B, now: now)
                    pending += bridge.poll(now: now)
                } else {
                    received.append(try out.rtp)
                }
            }
        }
        let decoder = try AudioDecoder(codec: .opus, sampleRate: 48000)
        var pcm: [Int16] = []
        for p in received { pcm += try decoder.decode(p.payload) }
        return Result(pcm: pcm, packets: received, bridge: bridge)
    }
}

@Suite struct BridgeTranscodeTests {
    @Test(arguments: [GWM_CODEC_PCMU, GWM_CODEC_PCMA])
    func toneKeepsFrequencyAndLevelThroughOpusG711Opus(g711: gwm_codec) throws {
        var call = EchoCall()
        call.config = testBridgeConfig(a: GWM_CODEC_OPUS, b: g711)
        let result = try call.run(frames: 250)
        #expect(!result.bridge.isRelaying)
        let steady = result.pcm[48000..<min(result.pcm.count, 4 * 48000)]
        try #require(steady.count == 3 * 48000)
        let candidates: [Double] = [250, 500, 800, 1000, 1250, 2000, 3000]
        #expect(ToneAnalysis.dominantFrequency(steady, sampleRate: 48000, candidates: candidates) == 1000)
        let level = ToneAnalysis.toneLevel(steady, frequency: 1000, sampleRate: 48000)
        #expect(abs(level - call.levelDBFS) < 1.0, "tone level \(level) dBFS, sent \(call.levelDBFS)")
        // Almost all the energy is the tone: no distortion or noise worth a dB.
        #expect(ToneAnalysis.rmsLevel(steady) - level < 1.0)
    }

    /// The cheapest and the best Opus encoder (the gateway's --opus-complexity) both carry the tone.
    @Test(arguments: [Int32(0), 10])
    func everyOpusComplexityKeepsTheTone(complexity: Int32) throws {
        var call = EchoCall()
        call.config.legs.0.opus_complexity = complexity
        let result = try call.run(frames: 200)
        let steady = result.pcm[48000..<min(result.pcm.count, 3 * 48000)]
        try #require(steady.count == 2 * 48000)
        #expect(ToneAnalysis.dominantFrequency(steady, sampleRate: 48000, candidates: [500, 800, 1000, 1250, 2000]) == 1000)
        #expect(abs(ToneAnalysis.toneLevel(steady, frequency: 1000, sampleRate: 48000) - call.levelDBFS) < 1.5)
    }

    /// Settings from the shell are clamped to what the core takes: an out-of-range complexity makes no failed call.
    @Test func theSwiftFaceClampsTheComplexity() throws {
        var browser = MediaBridge.LegSettings.defaults(for: .browser), other = MediaBridge.LegSettings.defaults(for: .other)
        (browser.ssrc, other.ssrc) = (1, 2)
        browser.opusComplexity = 42
        _ = try MediaBridge(browser: browser, other: other)
        browser.opusComplexity = -3
        _ = try MediaBridge(browser: browser, other: other)
    }

    @Test func fivePercentLossStaysContinuous() throws {
        var rng = SeededRandom(seed: 2024)
        let drops = Set((0..<400).filter { _ in Double.random(in: 0..<1, using: &rng) < 0.05 })
        try #require(drops.count >= 12)
        let result = try EchoCall().run(frames: 400) { drops.contains($0) }
        let stats = result.bridge.stats(GWM_LEG_A)
        #expect(stats.fec_recovered + stats.concealed >= UInt64(drops.count))

        // The stream to the browser has no hole: consecutive sequence numbers and timestamps.
        let steady = result.packets.dropFirst(10).prefix(360)
        for (a, b) in zip(steady, steady.dropFirst()) {
            #expect(b.sequence == a.sequence &+ 1)
            #expect(b.timestamp == a.timestamp &+ 960)
        }
        // And no audible gap: no two 20 ms windows in a row below -30 dBFS.
        var quietRun = 0, longestQuiet = 0
        for w in stride(from: 48000, to: 48000 * 7, by: 960) {
            let level = ToneAnalysis.rmsLevel(result.pcm[w..<w + 960])
            quietRun = level < -30 ? quietRun + 1 : 0
            longestQuiet = max(longestQuiet, quietRun)
        }
        #expect(longestQuiet <= 1, "a gap of \(longestQuiet) frames")
    }

    @Test func fullbandPathThroughTheResamplerAlsoCarriesTheTone() throws {
        var call = EchoCall()
        call.config.fullband = 1
        let result = try call.run(frames: 150)
        let steady = result.pcm[48000..<2 * 48000]
        #expect(abs(ToneAnalysis.toneLevel(steady, frequency: 1000, sampleRate: 48000) - call.levelDBFS) < 1.5)
    }

    @Test func playoutTimerIsArmedWhileTranscoding() throws {
        let bridge = try MediaBridge(config: testBridgeConfig())
        #expect(bridge.nextTimeout == UInt64.max)
        let pcmu = RTPPacket(payloadType: 0, sequence: 1, timestamp: 0, ssrc: 9, payload: [UInt8](repeating: 0xff, count: 160))
        try bridge.receive(pcmu.bytes, on: GWM_LEG_B, now: 1_000_000)
        _ = bridge.poll(now: 1_000_000)
        #expect(bridge.nextTimeout > 1_000_000 && bridge.nextTimeout <= 1_020_000)
    }

    @Test func reInviteSwitchesBetweenRelayAndTranscode() throws {
        var cfg = testBridgeConfig(a: GWM_CODEC_PCMU, b: GWM_CODEC_PCMU)
        cfg.rtcp_interval_ms = 0
        let bridge = try MediaBridge(config: cfg)
        #expect(bridge.isRelaying)
        var opusLeg = cfg.legs.0
        opusLeg.codec = GWM_CODEC_OPUS
        opusLeg.payload_type = 111
        try bridge.update(opusLeg, on: GWM_LEG_A)
        #expect(!bridge.isRelaying)
        try bridge.update(cfg.legs.0, on: GWM_LEG_A)
        #expect(bridge.isRelaying)
    }
}
