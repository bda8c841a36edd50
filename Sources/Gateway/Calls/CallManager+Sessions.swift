import GatewayCore
import NIOCore
import ShellSupport
import SignalingProtocol
import SIP
import SIPEndpoint

/// Sessions and sign-in: the session table decides (who may sign in, as
/// whom, when a sign-in gives up); this carries its decisions out on the
/// SIP side and to the clients.
extension CallManager {
    /// A new client connected (call on the loop): its session, or why it has none.
    func open(_ transport: SignalingTransport, source: String) -> Result<ClientSession, SessionTable.Refusal> {
        let id = Random.token(20)
        if let refusal = table.open(id: id, source: source) {
            drainSessions()
            return .failure(refusal)
        }
        let session = ClientSession(id: id, transport: transport)
        // Later on the loop: the event that overflowed may be sent from inside the call model's own work.
        session.ended = { [weak self] session, reason in
            guard let self else { return }
            self.loop.execute { self.close(session, reason: reason) }
        }
        clients[id] = session
        return .success(session)
    }

    func session(_ id: String) -> ClientSession? { clients[id] }

    /// The signed-in user of a session (nil before sign-in).
    func user(of s: ClientSession) -> String? { table[s.id]?.user }

    /// The client left (signed out, its transport closed or expired): its
    /// calls are hung up and its registration removed.
    func close(_ session: ClientSession, reason: String) {
        guard clients[session.id] != nil else { return }
        for call in session.calls.values { hangUp(call, cause: .signedOut, reason: reason) }
        if let user = table.close(session.id)?.user { logger.info("\(user) signed out: \(reason)") }
        session.closed = true
        clients[session.id] = nil
        drainSessions()
    }

    /// Carries out what the session table decided, and wakes it when a sign-in times out.
    func drainSessions() {
        var registered = false
        while let output = table.pollOutput() {
            switch output {
            case .signal(let id, let event): clients[id]?.send(event)
            case .register(let user, let password):
                ua.register(user: user, password: password)
                registered = true
            case .unregister(let user): ua.unregister(user: user)
            case .forgetRegistration(let user): ua.dropRegistration(user: user)
            case .lockedOut(let user, let source, let wait):
                logger.warning("\(user) from \(source): \(SignInLockout.maxFailures) wrong passwords, its sign-ins from there refused for \(wait / 1_000_000) s")
            case .refused(let reason): refusals.count(reason)
            }
        }
        if registered { sip.afterWork() }
        sessionTimer?.cancel()
        guard let due = table.nextTimeout else { return }
        let now = SIPService.now()
        sessionTimer = loop.scheduleTask(in: .microseconds(Int64(clamping: due > now ? due - now : 0))) { [weak self] in
            guard let self else { return }
            self.table.handleTimeout(now: SIPService.now())
            self.drainSessions()
        }
    }

    /// A long-poll client without a password (GET /sign_in?ID); returns the outcome event.
    func signInAnonymously(_ s: ClientSession, user: String) -> ServerEvent {
        let outcome = table.signInAnonymously(s.id, user: user)
        drainSessions()
        if case .signedIn = outcome { logger.info("\(user) signed in anonymously (calls out only)") }
        return outcome
    }

    func registrationChanged(user: String, state: RegistrationClient.State) {
        let outcome: SessionTable.RegistrationOutcome = switch state {
        case .registered: .registered
        case .failed(let code, let reason): .failed(code: code, reason: reason)
        case .idle, .registering, .unregistered: .pending
        }
        table.registration(of: user, outcome, now: SIPService.now())
        drainSessions()
    }
}
