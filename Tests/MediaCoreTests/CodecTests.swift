import CGatewayMedia
import MediaCore
import Testing

@Suite struct CodecTests {
    @Test func g711MatchesReferenceCodes() {
        // ITU-T G.711 reference points: silence and full-scale ends.
        var pcm: [Int16] = [0, -1, 32767, -32768, 1000]
        var ulaw = [UInt8](repeating: 0, count: pcm.count)
        var alaw = [UInt8](repeating: 0, count: pcm.count)
        #expect(gwm_g711_encode(GWM_CODEC_PCMU, &pcm, pcm.count, &ulaw) == 0)
        #expect(gwm_g711_encode(GWM_CODEC_PCMA, &pcm, pcm.count, &alaw) == 0)
        #expect(Array(ulaw.prefix(4)) == [0xff, 0x7f, 0x80, 0x00])
        #expect(Array(alaw.prefix(4)) == [0xd5, 0x55, 0xaa, 0x2a])
    }

    @Test(arguments: [GWM_CODEC_PCMU, GWM_CODEC_PCMA])
    func g711RoundTripKeepsSignalWithinQuantisation(codec: gwm_codec) {
        var pcm = (0..<4096).map { Int16(truncatingIfNeeded: $0 * 16 - 32768) }
        var coded = [UInt8](repeating: 0, count: pcm.count)
        var back = [Int16](repeating: 0, count: pcm.count)
        #expect(gwm_g711_encode(codec, &pcm, pcm.count, &coded) == 0)
        #expect(gwm_g711_decode(codec, &coded, coded.count, &back) == 0)
        for (x, y) in zip(pcm, back) {
            // 8-bit log quantisation: error within about 1/16 of the magnitude (+ small floor)
            #expect(abs(Int(x) - Int(y)) <= abs(Int(x)) / 16 + 40)
        }
        // Decoding every code and encoding it again gives the same code.
        var codes = (0...255).map { UInt8($0) }
        var decoded = [Int16](repeating: 0, count: 256)
        var again = [UInt8](repeating: 0, count: 256)
        gwm_g711_decode(codec, &codes, 256, &decoded)
        gwm_g711_encode(codec, &decoded, 256, &again)
        let mismatches = zip(codes, again).filter { $0 != $1 }.map(\.0)
        // mu-law's two zero codes (0x7f, 0xff) both decode to 0, which encodes as 0xff.
        #expect(mismatches.allSatisfy { codec == GWM_CODEC_PCMU && $0 == 0x7f })
    }

    @Test func opusCarriesAToneAndConcealsLoss() throws {
        let encoder = try AudioEncoder(codec: .opus, sampleRate: 48000)
        let decoder = try AudioDecoder(codec: .opus, sampleRate: 48000)
        var tone = SineTone(frequency: 1000, sampleRate: 48000, levelDBFS: -12)
        var out: [Int16] = []
        var packets: [[UInt8]] = []
        for _ in 0..<50 { packets.append(try encoder.encode(tone.next(960))) }
        for (i, p) in packets.enumerated() {
            if i == 30 { out += try decoder.conceal(samples: 960, next: packets[31]) } // FEC
            else if i == 40 { out += try decoder.conceal(samples: 960) }              // PLC
            else { out += try decoder.decode(p) }
        }
        #expect(out.count == 50 * 960)
        let steady = out[9600..<48000]
        #expect(ToneAnalysis.dominantFrequency(steady, sampleRate: 48000, candidates: [500, 1000, 2000]) == 1000)
        #expect(abs(ToneAnalysis.toneLevel(steady, frequency: 1000, sampleRate: 48000) + 12) < 1)
        #expect(ToneAnalysis.rmsLevel(out[30 * 960..<31 * 960]) > -20) // the FEC frame is not silence
    }

    @Test func opusDecodesStraightToEightKilohertz() throws {
        let encoder = try AudioEncoder(codec: .opus, sampleRate: 8000)
        let decoder = try AudioDecoder(codec: .opus, sampleRate: 8000)
        var tone = SineTone(frequency: 1000, sampleRate: 8000, levelDBFS: -12)
        var out: [Int16] = []
        for _ in 0..<50 { out += try decoder.decode(try encoder.encode(tone.next(160))) }
        #expect(out.count == 50 * 160)
        #expect(abs(ToneAnalysis.toneLevel(out[1600...], frequency: 1000, sampleRate: 8000) + 12) < 1)
    }

    @Test func resamplerKeepsFrequencyAndLevel() throws {
        var rs: OpaquePointer?
        #expect(gwm_resampler_create(48000, 8000, 4, &rs) == 0)
        defer { gwm_resampler_destroy(rs) }
        var tone = SineTone(frequency: 1000, sampleRate: 48000, levelDBFS: -12)
        var out: [Int16] = []
        for _ in 0..<50 {
            var input = tone.next(960)
            var buf = [Int16](repeating: 0, count: 161)
            var n = 0
            #expect(gwm_resampler_process(rs!, &input, 960, &buf, buf.count, &n) == 0)
            out += buf.prefix(n)
        }
        #expect(out.count > 7800)
        #expect(abs(ToneAnalysis.toneLevel(out[1600...], frequency: 1000, sampleRate: 8000) + 12) < 0.5)
        var input = [Int16](repeating: 0, count: 960)
        var tiny = [Int16](repeating: 0, count: 10)
        var n = 0
        #expect(gwm_resampler_process(rs!, &input, 960, &tiny, 10, &n) == GWM_ERR_BUFFER_TOO_SMALL.rawValue)
    }

    @Test func rejectsBadCodecArguments() {
        var enc: OpaquePointer?
        var cfg = gwm_encoder_config()
        gwm_encoder_config_default(GWM_CODEC_OPUS, &cfg)
        cfg.sample_rate = 44100
        #expect(gwm_encoder_create(&cfg, &enc) == GWM_ERR_INVALID_ARGUMENT.rawValue)
        var dec: OpaquePointer?
        #expect(gwm_decoder_create(GWM_CODEC_PCMU, 48000, &dec) == GWM_ERR_INVALID_ARGUMENT.rawValue)
        #expect(gwm_decoder_create(gwm_codec(rawValue: 42), 8000, &dec) == GWM_ERR_UNSUPPORTED.rawValue)
        #expect(enc == nil && dec == nil)
        // Garbage into the Opus decoder is an error, not a crash.
        let decoder = try? AudioDecoder(codec: .opus, sampleRate: 8000)
        #expect(throws: MediaError.self) { try decoder?.decode([0xff, 0xff, 0xff]) }
    }
}
