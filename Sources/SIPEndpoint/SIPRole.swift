import SIP

/// What a SIP endpoint is for: the gateway's user agent (`UserAgent`) or
/// the embedded SIP server (`EmbeddedServer`). The SIP service (sockets,
/// transactions, dialogs' 2xx retransmission) hands each role what is its
/// to decide. Called on the service's event loop.
public protocol SIPRole: AnyObject {
    /// The service is listening on `port`: start what runs from the beginning.
    func started(port: UInt16)
    /// The TLS listener is up on `port`.
    func tlsListening(port: UInt16)
    /// A request before the transaction layer (Digest challenges, stateless
    /// proxying); true when the role took it.
    func screen(_ request: SIPRequest, from source: SIPPeer, now: UInt64) -> Bool
    /// A response before the transaction layer (one the proxy relays back); true when taken.
    func screen(_ response: SIPResponse) -> Bool
    /// A request that passed the checks, in its server transaction; false
    /// leaves it to the endpoint's answer (OPTIONS, REGISTER, 481, 405).
    func request(_ request: SIPRequest, key: TransactionKey, from peer: SIPPeer, now: UInt64) -> Bool
    /// A response in one of our client transactions.
    func response(_ response: SIPResponse, key: TransactionKey, now: UInt64)
    /// One of our client transactions got no final response.
    func timeout(_ key: TransactionKey, now: UInt64)
    /// A 2xx retransmission after its transaction ended.
    func strayResponse(_ response: SIPResponse, now: UInt64)
    /// The ACK of a 2xx of ours.
    func acknowledged(_ ack: SIPRequest)
    /// A dialog we answered failed (no ACK, session expired).
    func dialogFailed(_ dialogID: String, reason: DialogFailure)
    /// The role's earliest deadline, and its work when the service's timer fires.
    var nextTimeout: UInt64? { get }
    func poll(now: UInt64)
}

public enum DialogFailure: String { case noACK = "no ACK", sessionExpired = "session expired" }
