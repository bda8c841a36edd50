import SIP

/// What a SIP endpoint is for: the gateway's user agent (`UserAgent`) or
/// the embedded SIP server (`EmbeddedServer`). The SIP service (sockets,
/// transactions) hands each role what is its to decide; the dialogs a role
/// answers are its own. Called on the service's event loop.
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
    /// An ACK outside any transaction: of a 2xx, if one of the role's dialogs knows it.
    func acknowledged(_ ack: SIPRequest, now: UInt64)
    /// The dialogs the role keeps (for the status route and metrics).
    var dialogCount: Int { get }
    /// The role's earliest deadline (its dialogs' too), and its work when the service's timer fires.
    var nextTimeout: UInt64? { get }
    func poll(now: UInt64)
}

