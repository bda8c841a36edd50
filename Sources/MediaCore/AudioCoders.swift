import CGatewayMedia
import MediaTypes

/// An audio encoder of the media core (Opus or G.711), mono 16-bit PCM in.
public final class AudioEncoder {
    private let handle: OpaquePointer

    public init(_ config: gwm_encoder_config) throws(MediaError) {
        var cfg = config
        var out: OpaquePointer?
        try MediaError.check(gwm_encoder_create(&cfg, &out))
        handle = out!
    }

    public convenience init(codec: AudioCodec, sampleRate: UInt32) throws(MediaError) {
        var cfg = gwm_encoder_config()
        gwm_encoder_config_default(codec.mediaCodec, &cfg)
        cfg.sample_rate = sampleRate
        try self.init(cfg)
    }

    deinit { gwm_encoder_destroy(handle) }

    public func encode(_ pcm: [Int16]) throws(MediaError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 1500)
        var length = 0
        let status = pcm.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { buffer in
                gwm_encoder_encode(handle, input.baseAddress!, input.count, buffer.baseAddress!,
                                   buffer.count, &length)
            }
        }
        try MediaError.check(status)
        return Array(out.prefix(length))
    }
}

/// An audio decoder of the media core, with loss concealment.
public final class AudioDecoder {
    private let handle: OpaquePointer
    private static let maxSamples = 5760

    public init(codec: AudioCodec, sampleRate: UInt32) throws(MediaError) {
        var out: OpaquePointer?
        try MediaError.check(gwm_decoder_create(codec.mediaCodec, sampleRate, &out))
        handle = out!
    }

    deinit { gwm_decoder_destroy(handle) }

    public func decode(_ payload: [UInt8]) throws(MediaError) -> [Int16] {
        var pcm = [Int16](repeating: 0, count: Self.maxSamples)
        var count = 0
        let status = payload.withUnsafeBufferPointer { input in
            pcm.withUnsafeMutableBufferPointer {
                gwm_decoder_decode(handle, input.baseAddress!, input.count, $0.baseAddress!, $0.count, &count)
            }
        }
        try MediaError.check(status)
        return Array(pcm.prefix(count))
    }

    /// Conceals a lost frame of `samples`, from `next`'s FEC when given.
    public func conceal(samples: Int, next: [UInt8]? = nil) throws(MediaError) -> [Int16] {
        var pcm = [Int16](repeating: 0, count: Self.maxSamples)
        var count = 0
        let status = pcm.withUnsafeMutableBufferPointer { out in
            if let next {
                return next.withUnsafeBufferPointer {
                    gwm_decoder_conceal(handle, $0.baseAddress, $0.count, samples, out.baseAddress!, out.count, &count)
                }
            }
            return gwm_decoder_conceal(handle, nil, 0, samples, out.baseAddress!, out.count, &count)
        }
        try MediaError.check(status)
        return Array(pcm.prefix(count))
    }
}
