import NIOCore
import ShellSupport
import SIP
import SIPEndpoint

/// Registrations: each signed-in user (and each account of the
/// configuration) kept registered on the SIP server.
extension UserAgent {
    /// Starts keeping `user` registered (an account from the configuration, or a signed-in browser user).
    func register(user: String, password: String?) {
        let settings = service.settings
        let port = UInt16(service.boundPort ?? settings.listenPort)
        let account = RegistrationClient.Account(
            aor: SIPURI(user: user, host: settings.domain), registrar: SIPURI(host: settings.domain),
            contact: SIPURI(user: user, host: settings.listenHost, port: port),
            credentials: password.map { DigestCredentials(username: user, password: $0) },
            via: (serverPeer.transport.rawValue, settings.listenHost, port))
        var asked = account
        asked.expires = settings.registerExpires
        let client = RegistrationClient(account: asked, token: { Random.token(12) })
        clients[user] = client
        send(client.start(now: SIPService.now()), to: serverPeer, for: user)
        reschedule(registration: user)
    }

    /// Stops trying to register `user` (a sign-in that failed), without a REGISTER.
    func dropRegistration(user: String) {
        clients[user] = nil
        reschedule(registration: user)
        clientByTransaction.removeAll(of: user)
        status.withLockedValue { $0[user] = nil }
    }

    /// Removes `user`'s binding (sign-out) and forgets the account once answered.
    func unregister(user: String) {
        guard let client = clients[user] else { return }
        send(client.unregister(now: SIPService.now()), to: serverPeer, for: user)
        reschedule(registration: user)
        service.afterWork()
    }

    /// A double-CRLF ping to the SIP server (RFC 5626 §4.4.1) while there are
    /// registrations: it keeps NAT bindings and the server connection open.
    func sendKeepAlive() {
        guard !clients.isEmpty else { return }
        service.ping(serverPeer)
    }

    func send(_ request: SIPRequest, to peer: SIPPeer, for user: String) {
        let (key, outputs) = service.startTransaction(request, to: peer)
        clientByTransaction.add(key, owner: user)
        service.handle(outputs, now: SIPService.now())
    }

    func report(_ user: String, _ client: RegistrationClient) {
        let text: String
        switch client.state {
        case .registered(let expires): text = "registered \(expires)"
        case .failed(let code, let reason): text = "failed \(code) \(reason)"
        default: text = "\(client.state)"
        }
        logger.info("registration of \(user): \(text)")
        status.withLockedValue { $0[user] = text }
        callHandler?.registrationChanged(user: user, state: client.state)
    }
}
