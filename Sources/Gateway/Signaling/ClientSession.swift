import SignalingProtocol

/// How events reach a client: a WebSocket, or the queue a long-poll client
/// takes them from. Called on the SIP service's loop.
protocol SignalingTransport: AnyObject {
    /// Hands one event to the client; false when it cannot take more (the
    /// session is then ended: an event must not be lost silently).
    func push(_ event: ServerEvent) -> Bool
    /// Ends the transport (sign-out, expiry, too slow a reader).
    func close()
}

/// One browser client of the gateway: who signed in, and its calls.
/// Confined to the SIP service's event loop.
final class ClientSession {
    enum State { case new, signingIn, signedIn, closed }

    let id = Random.token(20)
    let transport: SignalingTransport
    /// The client's IP address, as its connection came: sessions and wrong
    /// passwords are counted per source.
    let source: String
    var state = State.new
    /// Signed in without a password (long-poll `GET /sign_in?ID`): calls out
    /// only, and only to the configured destinations.
    var anonymous = false
    var user: String?
    var password: String?
    var calls: [String: BrowserCall] = [:]
    static let maxCalls = 4
    /// Ends the session in the call model (calls hung up, registration
    /// removed) when its transport cannot take an event: nothing stays
    /// signed in behind a client that no longer hears.
    var ended: ((ClientSession, String) -> Void)?

    init(transport: SignalingTransport, source: String) {
        self.transport = transport
        self.source = source
    }

    /// Sends an event; a transport that cannot take it ends the session.
    func send(_ event: ServerEvent) {
        guard state != .closed else { return }
        if !transport.push(event) {
            transport.close()
            ended?(self, "its signaling queue overflowed")
        }
    }

    func error(_ code: SignalingError.Code, _ message: String, call: String? = nil, request: String? = nil) {
        send(.error(SignalingError(code, message, call: call, request: request)))
    }
}
