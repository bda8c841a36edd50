/// RFC 3261 §18.1.1: a request within 200 bytes of the path MTU (1500) goes
/// over a congestion-controlled transport instead of UDP: TCP to the same
/// address, with the Via saying so. A CANCEL goes the way of the INVITE it
/// cancels, with the same Via (§9.1), whatever its own size.
public enum TransportChoice {
    public static let udpLimit = 1300

    /// The request and where to send it: unchanged unless it (or, for a
    /// CANCEL, the INVITE it cancels) is too large for UDP.
    public static func fitting(_ request: SIPRequest, to peer: SIPPeer, cancelling invite: SIPRequest? = nil)
        -> (SIPRequest, SIPPeer) {
        let sized = request.method == .cancel ? invite ?? request : request
        guard peer.transport == .udp, request.method != .ack, SIPMessage.request(sized).bytes.count > udpLimit,
              var via = request.headers.topVia else { return (request, peer) }
        via.transport = "TCP"
        var switched = request
        switched.headers.replaceTopVia(with: via.description)
        return (switched, SIPPeer(.tcp, host: peer.host, port: peer.port))
    }
}
