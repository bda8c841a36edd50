extension SIPHeaders {
    /// The headers a request outside a dialog starts with (RFC 3261 §8.1.1), in
    /// the usual order: Via, Max-Forwards, From (with its tag), To, Call-ID, CSeq.
    public static func newRequest(_ method: SIPMethod, via: Via, from: String, to: String, callID: String,
                                  cseq: UInt32) -> SIPHeaders {
        var h = SIPHeaders()
        h.add("Via", via.description)
        h.add("Max-Forwards", "70")
        h.add("From", from)
        h.add("To", to)
        h.add("Call-ID", callID)
        h.add("CSeq", "\(cseq) \(method)")
        return h
    }
}
