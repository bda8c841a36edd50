/// The audio codecs the gateway carries: as SDP names them, and as the media
/// core encodes, decodes and relays them.
public enum AudioCodec: String, Sendable, CaseIterable {
    case opus, pcmu, pcma

    public var encodingName: String {
        switch self {
        case .opus: "opus"
        case .pcmu: "PCMU"
        case .pcma: "PCMA"
        }
    }

    public var clockRate: UInt32 { self == .opus ? 48000 : 8000 }
    public var channels: Int? { self == .opus ? 2 : nil }
    /// RFC 3551 static payload type, if any.
    public var staticPayloadType: UInt8? {
        switch self {
        case .pcmu: 0
        case .pcma: 8
        case .opus: nil
        }
    }
    /// The payload type the gateway uses when it offers.
    public var preferredPayloadType: UInt8 { staticPayloadType ?? 111 }
}
