import CGatewayMedia
import MediaCore

/// A deterministic pseudo-random source for loss and jitter patterns.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 1 : seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }
}

/// Bridge configuration for tests: SSRCs set, everything else as in production.
func testBridgeConfig(a: gwm_codec = GWM_CODEC_OPUS, b: gwm_codec = GWM_CODEC_PCMU) -> gwm_bridge_config {
    var cfg = MediaBridge.defaultConfig()
    cfg.legs.0.ssrc = 0xA0A0_0001
    cfg.legs.1.ssrc = 0xB0B0_0002
    cfg.legs.0.initial_sequence = 1000
    cfg.legs.1.initial_sequence = 2000
    cfg.legs.0.initial_timestamp = 10_000
    cfg.legs.1.initial_timestamp = 20_000
    cfg.legs.0.codec = a
    cfg.legs.1.codec = b
    cfg.legs.0.payload_type = a == GWM_CODEC_OPUS ? 111 : (a == GWM_CODEC_PCMU ? 0 : 8)
    cfg.legs.1.payload_type = b == GWM_CODEC_OPUS ? 111 : (b == GWM_CODEC_PCMU ? 0 : 8)
    return cfg
}

extension MediaBridge.Output {
    var rtp: RTPPacket { get throws { try RTPPacket(parsing: bytes) } }
}

func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.filter { !$0.isWhitespace }.makeIterator()
    while let hi = it.next(), let lo = it.next() { out.append(UInt8(String([hi, lo]), radix: 16)!) }
    return out
}

/// A compound RTCP packet in memory that outlives the parsed views into it
/// (gwm_rtcp_packet.body points into the buffer).
final class RTCPCompound {
    private let storage: UnsafeMutableBufferPointer<UInt8>
    let packets: [gwm_rtcp_packet]

    init(_ bytes: [UInt8]) {
        storage = .allocate(capacity: max(bytes.count, 1))
        _ = storage.initialize(from: bytes)
        var cursor = 0
        var p = gwm_rtcp_packet()
        var all: [gwm_rtcp_packet] = []
        while gwm_rtcp_next(storage.baseAddress!, bytes.count, &cursor, &p) == 0 { all.append(p) }
        packets = all
    }

    deinit { storage.deallocate() }
}
