import SignalingProtocol

/// How events reach a client: a WebSocket, or the queue a long-poll client
/// takes them from. Called on the SIP service's loop.
protocol SignalingTransport: AnyObject {
    /// Hands one event to the client; false when it cannot take more (the
    /// session is then ended: an event must not be lost silently).
    func push(_ event: ServerEvent) -> Bool
    /// Ends the transport (sign-out, expiry, too slow a reader).
    func close()
    /// The client answers the gateway's offer of an incoming call (the Genesys
    /// client does); else it is told of the call and answers by offering.
    var takesOffers: Bool { get }
}

extension SignalingTransport {
    var takesOffers: Bool { false }
}

/// One browser client of the gateway as the shell holds it: how its events
/// reach it (who it is signed in as, and its calls, are the call model's).
/// Confined to the SIP service's event loop.
final class ClientSession: @unchecked Sendable {
    let id: String
    let transport: SignalingTransport
    /// Set when the session ends: nothing more is sent to it.
    var closed = false
    /// Ends the session in the call model (calls hung up, registration
    /// removed) when its transport cannot take an event: nothing stays
    /// signed in behind a client that no longer hears.
    var ended: ((ClientSession, String) -> Void)?

    init(id: String, transport: SignalingTransport) {
        self.id = id
        self.transport = transport
    }

    /// Sends an event; a transport that cannot take it ends the session.
    func send(_ event: ServerEvent) {
        guard !closed else { return }
        if !transport.push(event) {
            transport.close()
            ended?(self, "its signaling queue overflowed")
        }
    }

    func error(_ code: SignalingError.Code, _ message: String, call: String? = nil, request: String? = nil) {
        send(.error(SignalingError(code, message, call: call, request: request)))
    }
}
