import NIOCore
import SIP
import SIPEndpoint

/// Registrations: each signed-in user (and each account of the
/// configuration) kept registered on the SIP server.
extension UserAgent {
    /// Starts keeping `user` registered (an account from the configuration, or a signed-in browser user).
    func register(user: String, password: String?) {
        registrations.register(user: user, password: password, now: SIPService.now())
        sendRegistrations()
    }

    /// Stops trying to register `user` (a sign-in that failed), without a REGISTER.
    func dropRegistration(user: String) {
        registrations.forget(user: user)
        status.withLockedValue { $0[user] = nil }
    }

    /// Removes `user`'s binding (sign-out) and forgets the account once answered.
    func unregister(user: String) {
        registrations.unregister(user: user, now: SIPService.now())
        sendRegistrations()
        service.afterWork()
    }

    /// A double-CRLF ping to the SIP server (RFC 5626 §4.4.1) while there are
    /// registrations: it keeps NAT bindings and the server connection open.
    func sendKeepAlive() {
        guard !registrations.isEmpty else { return }
        service.ping(serverPeer)
    }

    /// Carries out what the registrations decided: REGISTERs to the SIP server, state changes to the call model.
    func sendRegistrations() {
        while let output = registrations.pollOutput() {
            switch output {
            case .send(let request, let user):
                let (key, outputs) = service.startTransaction(request, to: serverPeer)
                registrations.sent(key, for: user)
                service.handle(outputs, now: SIPService.now())
            case .changed(let user, let state):
                report(user, state)
            }
        }
    }

    private func report(_ user: String, _ state: RegistrationClient.State) {
        let text: String
        switch state {
        case .registered(let expires): text = "registered \(expires)"
        case .failed(let code, let reason): text = "failed \(code) \(reason)"
        default: text = "\(state)"
        }
        logger.info("registration of \(user): \(text)")
        status.withLockedValue { $0[user] = text }
        callHandler?.registrationChanged(user: user, state: state)
    }
}
