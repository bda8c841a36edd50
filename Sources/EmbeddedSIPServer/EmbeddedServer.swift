import ShellSupport
import SIP
import SIPEndpoint

/// The embedded SIP server: a registrar, a stateless proxy between the
/// users registered with it, Digest authentication when it has accounts,
/// and the test numbers (`TestNumber`) it answers itself. It runs on a SIP
/// service of its own, apart from the gateway's user agent, which registers
/// with it like any phone. Confined to the service's event loop.
public final class EmbeddedServer: SIPRole, @unchecked Sendable {
    public let service: SIPService
    /// The proxy, once the service knows its port.
    private var proxy: StatelessProxy?
    /// Accounts: REGISTER and new INVITEs must authenticate (nil: loopback use, no accounts).
    public let authentication: DigestVerifier?
    public let testCalls: TestCallDialogs
    /// Test-number calls ringing, by dialog: the INVITE transaction a CANCEL ends.
    public var ringingCalls: [String: TransactionKey] = [:]

    public init(service: SIPService, authentication: DigestVerifier?) {
        self.service = service
        self.authentication = authentication
        testCalls = TestCallDialogs(service: service)
        service.role = self
    }

    public func started(port: UInt16) {
        proxy = StatelessProxy(host: service.settings.advertisedHost, port: port, domain: service.settings.domain,
                               localUsers: Set(TestNumber.allCases.map(\.rawValue)))
    }

    public func tlsListening(port: UInt16) { proxy?.tlsPort = port }

    /// Digest first (when the server has accounts), then the proxy: what is
    /// not for this server's own numbers goes on to where its user registered.
    public func screen(_ r: SIPRequest, from source: SIPPeer, now: UInt64) -> Bool {
        if let authentication, let demand = authentication.demand(for: r, now: now, toTag: Random.token(10)) {
            service.write(.response(demand), to: source)
            return true
        }
        guard let proxy, let registrar = service.endpoint.registrar else { return false }
        switch proxy.route(r, registrar: registrar, now: now) {
        case .local:
            return false
        case .forward(let forwarded, let peer):
            service.write(.request(forwarded), to: peer)
        case .reject(let status, let reason):
            service.write(.response(TransactionLayer.response(to: r, status, reason: reason, toTag: Random.token(10))),
                          to: source)
        case .drop:
            break
        }
        return true
    }

    public func screen(_ response: SIPResponse) -> Bool {
        guard let back = proxy?.route(response) else { return false }
        if let destination = StatelessReply.responseDestination(back) { service.write(.response(back), to: destination) }
        return true
    }

    /// New INVITEs for the test numbers, CANCEL of one ringing, and requests in their dialogs.
    public func request(_ r: SIPRequest, key: TransactionKey, from peer: SIPPeer, now: UInt64) -> Bool {
        testCalls.dialogs.noteRequest(r)
        if r.method == .invite, testCalls.dialogs.dialog(for: r) == nil { return answerTestNumber(r, key: key, from: peer, now: now) }
        if r.method == .cancel { return cancel(r, key: key, now: now) }
        return testCalls.inDialog(r, key: key, from: peer, now: now) { endCall($0) }
    }

    private func cancel(_ r: SIPRequest, key: TransactionKey, now: UInt64) -> Bool {
        guard let inviteKey = service.transactions.inviteKey(cancelledBy: r) else { return false } // 481 from the endpoint
        service.respond(key, TransactionLayer.response(to: r, .ok), now: now)
        if let (id, _) = ringingCalls.first(where: { $0.value == inviteKey }), let dialog = testCalls.dialogs.calls[id]?.dialog {
            guard var invite = service.transactions.request(for: inviteKey) else { return true }
            invite.headers.set("To", "\(dialog.localURI);tag=\(dialog.localTag)")
            service.respond(inviteKey, TransactionLayer.response(to: invite, .requestTerminated), now: now)
            endCall(id)
        }
        return true
    }

    // The server places no calls and registers nobody: it has no client transactions but a BYE's.
    public func response(_ response: SIPResponse, key: TransactionKey, now: UInt64) {}
    public func timeout(_ key: TransactionKey, now: UInt64) {}
    public func strayResponse(_ response: SIPResponse, now: UInt64) {}
    public func acknowledged(_ ack: SIPRequest, now: UInt64) { _ = testCalls.acknowledged(ack) }

    public var nextTimeout: UInt64? { testCalls.nextTimeout }

    public func poll(now: UInt64) {
        testCalls.poll(now: now) { id, failure in
            if failure == .sessionExpired { expireSession(id) } else { endCall(id) }
        }
    }

    /// Dialogs of the test numbers' calls.
    public var dialogCount: Int { testCalls.dialogs.calls.count }
}
