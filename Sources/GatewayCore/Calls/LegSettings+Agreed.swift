import MediaCore
import SDP

extension MediaBridge.LegSettings {
    /// A side of the bridge sending and taking what its offer/answer agreed
    /// (nil: the side's default codec, before an answer), with our SSRC.
    public static func agreed(_ agreed: NegotiatedAudio?, on side: MediaBridge.Side, ssrc: UInt32, requireSRTP: Bool) -> Self {
        var leg = Self.defaults(for: side)
        if let agreed {
            leg.codec = agreed.codec
            leg.payloadType = agreed.payloadType
            leg.dtmfPayloadType = agreed.dtmfPayloadType
            leg.dtmfClockRate = agreed.dtmfClockRate
            if let ptime = agreed.ptime, [10, 20, 30, 40, 60].contains(ptime) { leg.ptimeMs = UInt32(ptime) }
        }
        leg.ssrc = ssrc
        leg.requireSRTP = requireSRTP
        return leg
    }
}
