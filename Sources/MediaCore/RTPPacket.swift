import CGatewayMedia

/// A parsed RTP packet: header fields plus the payload bytes.
public struct RTPPacket: Equatable {
    public var payloadType: UInt8
    public var sequence: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var marker: Bool
    public var payload: [UInt8]

    public init(payloadType: UInt8, sequence: UInt16, timestamp: UInt32, ssrc: UInt32,
                marker: Bool = false, payload: [UInt8]) {
        self.payloadType = payloadType
        self.sequence = sequence
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.marker = marker
        self.payload = payload
    }

    public init(parsing bytes: [UInt8]) throws(MediaError) {
        guard !bytes.isEmpty else { throw .truncated }   // no buffer to hand the parser
        var h = gwm_rtp_header()
        try MediaError.check(bytes.withUnsafeBufferPointer { gwm_rtp_parse($0.baseAddress!, $0.count, &h) })
        let start = Int(h.payload_offset)
        self.init(payloadType: h.payload_type, sequence: h.sequence, timestamp: h.timestamp,
                  ssrc: h.ssrc, marker: h.marker != 0,
                  payload: Array(bytes[start..<start + Int(h.payload_length)]))
    }

    public var bytes: [UInt8] {
        var h = gwm_rtp_header()
        h.payload_type = payloadType
        h.sequence = sequence
        h.timestamp = timestamp
        h.ssrc = ssrc
        h.marker = marker ? 1 : 0
        var out = [UInt8](repeating: 0, count: 12 + payload.count)
        var length = 0
        let status = payload.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer {
                gwm_rtp_build(&h, nil, 0, p.baseAddress, p.count, 0, $0.baseAddress, $0.count, &length)
            }
        }
        precondition(status == 0, "an RTP header with in-range fields always builds")
        return out
    }
}
