/// Where a message goes or came from: transport and address.
public struct SIPPeer: Hashable, Sendable, CustomStringConvertible {
    public enum Transport: String, Sendable { case udp = "UDP", tcp = "TCP", tls = "TLS" }
    public var transport: Transport
    public var host: String
    public var port: UInt16

    public init(_ transport: Transport, host: String, port: UInt16) {
        self.transport = transport
        self.host = host
        self.port = port
    }

    /// TCP and TLS deliver reliably: no retransmissions, no wait states (RFC 3261 §17).
    public var isReliable: Bool { transport != .udp }
    public var description: String { "\(transport.rawValue.lowercased()):\(host):\(port)" }
}

/// T1, T2, T4 (RFC 3261 §17.1.1.1, Table 4), configurable; times in microseconds.
public struct TransactionTimers: Sendable {
    public var t1: UInt64 = 500_000
    public var t2: UInt64 = 4_000_000
    public var t4: UInt64 = 5_000_000
    public init() {}
    var timeout64T1: UInt64 { 64 * t1 }
}

/// A transaction's identity (§17.1.3, §17.2.3): the top Via branch and the
/// CSeq method (ACK is matched to its INVITE); with an RFC 2543 peer, whose
/// branch lacks the magic cookie, the request's identifying fields.
public struct TransactionKey: Hashable, Sendable, CustomStringConvertible {
    public let isServer: Bool
    public let branch: String
    public let sentBy: String
    public let method: SIPMethod

    public var description: String { "\(isServer ? "server" : "client") \(method) \(branch)" }

    /// The key of a client transaction of ours (the layer makes them; tests of the cores above it name them).
    public static func client(branch: String, method: SIPMethod) -> TransactionKey {
        TransactionKey(isServer: false, branch: branch, sentBy: "", method: method == .ack ? .invite : method)
    }

    /// The server-side key of a request, or nil when it has no parsable top Via.
    public static func server(for request: SIPRequest) -> TransactionKey? {
        guard let via = request.headers.topVia else { return nil }
        let method: SIPMethod = request.method == .ack ? .invite : request.method
        let sentBy = "\(via.host.lowercased()):\(via.port ?? 5060)"
        if let branch = via.branch, branch.hasPrefix(Via.magicCookie) {
            // Call-ID and CSeq number too: a retransmission always repeats them, so a
            // peer that reuses a branch for a new request is not taken for one.
            let callID = request.headers["Call-ID"] ?? ""
            let cseq = request.headers.cseq?.number ?? 0
            return TransactionKey(isServer: true, branch: "\(branch)|\(callID)|\(cseq)", sentBy: sentBy, method: method)
        }
        // RFC 2543 (§17.2.3): From tag, Call-ID, CSeq number and top Via. (The To
        // tag is left out so that the ACK for a non-2xx, which carries it, still
        // matches; the Request-URI is the same in an INVITE, its ACK and its CANCEL.)
        let from = request.headers.from?.tag ?? ""
        let cseq = request.headers.cseq?.number ?? 0
        let callID = request.headers["Call-ID"] ?? ""
        let legacy = "2543|\(request.uri)|\(from)|\(callID)|\(cseq)|\(via)"
        return TransactionKey(isServer: true, branch: legacy, sentBy: sentBy, method: method)
    }
}
