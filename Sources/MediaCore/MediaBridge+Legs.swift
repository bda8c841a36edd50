import CGatewayMedia
import MediaTypes

/// The media bridge's Swift face for the shells: legs by side, settings,
/// directions and SRTP suites as Swift types (the C types stay in here and
/// in the cores that drive a bridge packet by packet).
extension MediaBridge {
    /// Which side of the bridge: the browser's (leg A), or the other one (the SIP side, an echo).
    public enum Side: Sendable {
        case browser, other
        var leg: Leg { self == .browser ? GWM_LEG_A : GWM_LEG_B }
    }

    /// What one leg sends and takes (gwm_leg_config). Opus bitrate, FEC and
    /// the CNAME stay the bridge's defaults.
    public struct LegSettings: Sendable, Equatable {
        public var codec: AudioCodec
        /// The payload type of `codec` on this leg.
        public var payloadType: UInt8
        /// telephone-event's payload type; nil: none agreed.
        public var dtmfPayloadType: UInt8?
        /// telephone-event's clock; nil: the codec's.
        public var dtmfClockRate: UInt32?
        /// The frame length sent on this leg: 10, 20, 30, 40 or 60 ms.
        public var ptimeMs: UInt32
        /// The SSRC the gateway sends on this leg (fixed when the bridge is made).
        public var ssrc: UInt32
        /// The leg is SRTP: nothing goes or comes until it has keys (fixed when the bridge is made).
        public var requireSRTP: Bool
        /// The Opus encoder's complexity, 0...10 (clamped): lower costs less CPU per transcoded call.
        public var opusComplexity: Int32 = 5

        /// The bridge's defaults for a side: Opus 111 with DTMF 126 toward the browser, PCMU 0 with DTMF 101 on the other, 20 ms.
        public static func defaults(for side: Side) -> LegSettings {
            let config = MediaBridge.defaultConfig()
            let leg = side == .browser ? config.legs.0 : config.legs.1
            return LegSettings(codec: AudioCodec(leg.codec) ?? .pcmu, payloadType: leg.payload_type,
                               dtmfPayloadType: leg.dtmf_payload_type >= 0 ? UInt8(clamping: leg.dtmf_payload_type) : nil,
                               dtmfClockRate: leg.dtmf_clock_rate == 0 ? nil : leg.dtmf_clock_rate, ptimeMs: leg.ptime_ms,
                               ssrc: leg.ssrc, requireSRTP: leg.require_srtp != 0, opusComplexity: leg.opus_complexity)
        }

        /// The C configuration from `base`, with a random first sequence number and timestamp (RFC 3550 §5.1).
        func config(from base: gwm_leg_config) -> gwm_leg_config {
            var leg = base
            leg.codec = codec.mediaCodec
            leg.payload_type = payloadType
            leg.dtmf_payload_type = dtmfPayloadType.map { Int16($0) } ?? -1
            leg.dtmf_clock_rate = dtmfClockRate ?? 0
            leg.ptime_ms = ptimeMs
            leg.ssrc = ssrc
            leg.initial_sequence = UInt16.random(in: 0...0x7fff)
            leg.initial_timestamp = UInt32.random(in: 0...UInt32.max)
            leg.require_srtp = requireSRTP ? 1 : 0
            leg.opus_complexity = min(max(opusComplexity, 0), 10)
            return leg
        }
    }

    /// A bridge between a browser leg and another, with the defaults for the rest.
    public convenience init(browser: LegSettings, other: LegSettings) throws(MediaError) {
        var config = MediaBridge.defaultConfig()
        config.legs.0 = browser.config(from: config.legs.0)
        config.legs.1 = other.config(from: config.legs.1)
        try self.init(config: config)
    }

    /// New codec, payload types and frame length for a side (an answer, a re-INVITE).
    public func update(_ settings: LegSettings, on side: Side) throws(MediaError) {
        let base = side == .browser ? MediaBridge.defaultConfig().legs.0 : MediaBridge.defaultConfig().legs.1
        try update(settings.config(from: base), on: side.leg)
    }

    /// What the bridge sends to a side (`sendonly`: only sends there) and takes from it.
    public func setDirection(_ direction: MediaDirection, on side: Side) throws(MediaError) {
        let c: gwm_direction = switch direction {
        case .sendrecv: GWM_SENDRECV
        case .sendonly: GWM_SENDONLY
        case .recvonly: GWM_RECVONLY
        case .inactive: GWM_INACTIVE
        }
        try setDirection(c, on: side.leg)
    }

    /// SRTP keys (master key and salt each way) for a side; new keys start new contexts.
    public func setSRTP(_ suite: SRTPSuite, on side: Side, sendKey: [UInt8], receiveKey: [UInt8]) throws(MediaError) {
        try setSRTP(suite.profile, on: side.leg, sendKey: sendKey, receiveKey: receiveKey)
    }

    /// Packet counts of a side, for logs and the status route.
    public func counts(_ side: Side) -> (received: UInt64, sent: UInt64, srtpAuthFailures: UInt64) {
        let s = stats(side.leg)
        return (s.packets_received, s.packets_sent, s.srtp_auth_failures)
    }
}

extension AudioCodec {
    var mediaCodec: gwm_codec {
        switch self {
        case .opus: GWM_CODEC_OPUS
        case .pcmu: GWM_CODEC_PCMU
        case .pcma: GWM_CODEC_PCMA
        }
    }

    init?(_ codec: gwm_codec) {
        switch codec {
        case GWM_CODEC_OPUS: self = .opus
        case GWM_CODEC_PCMU: self = .pcmu
        case GWM_CODEC_PCMA: self = .pcma
        default: return nil
        }
    }
}

extension SRTPSuite {
    var profile: gwm_srtp_profile {
        switch self {
        case .aesCM128HMACSHA1_80: GWM_SRTP_AES128_CM_SHA1_80
        case .aesCM128HMACSHA1_32: GWM_SRTP_AES128_CM_SHA1_32
        case .aeadAES128GCM: GWM_SRTP_AEAD_AES_128_GCM
        }
    }

    /// Bytes of master key and salt this suite takes (one direction).
    public var keyLength: Int { Int(gwm_srtp_key_length(profile)) }
}
