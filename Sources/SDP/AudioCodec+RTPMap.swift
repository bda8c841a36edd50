extension AudioCodec {
    /// Whether an rtpmap names this codec (case-insensitive, RFC 8866 §6.6).
    func matches(_ map: RTPMap) -> Bool {
        map.name.lowercased() == encodingName.lowercased() && map.clockRate == clockRate
    }
}
