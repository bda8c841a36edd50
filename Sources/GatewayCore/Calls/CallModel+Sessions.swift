import Identifiers
import SignalingProtocol
import SIP

/// Sessions and sign-in: the session table decides (who may sign in, as
/// whom, when a sign-in gives up); the model hangs up a leaving session's
/// calls and hands the registrations to the user agent.
extension CallModel {
    /// A new client connected: its session id, or why it has none. `takesOffers`: the client
    /// answers an incoming call's offer (else it is told of the call and offers).
    public func open(source: String, takesOffers: Bool = false) -> Result<String, SessionTable.Refusal> {
        let id = Random.token(20)
        if let refusal = sessions.open(id: id, source: source) {
            drainSessions()
            return .failure(refusal)
        }
        callsOfSession[id] = [:]
        if takesOffers { sessionsTakingOffers.insert(id) }
        return .success(id)
    }

    /// The signed-in user of a session (nil before sign-in).
    public func user(of session: String) -> String? { sessions[session]?.user }

    /// The client left (its transport closed or expired, or it could not take
    /// an event): its calls are hung up and its registration removed.
    public func close(_ session: String, reason: String, now: UInt64) {
        close(session, reason: reason, closeTransport: false, now: now)
    }

    func close(_ session: String, reason: String, closeTransport: Bool, cause: EndCause = .signedOut, now: UInt64) {
        guard sessions[session] != nil else { return }
        for call in callsOfSession[session]?.values ?? [:].values { hangUp(call, cause: cause, reason: reason, now: now) }
        if let user = sessions.close(session)?.user { log("\(user) signed out: \(reason)") }
        callsOfSession[session] = nil
        sessionsTakingOffers.remove(session)
        outputs.append(.sessionEnded(session: session, closeTransport: closeTransport))
        drainSessions()
    }

    /// The gateway starts shutting down: no new session, sign-in or call (new
    /// INVITEs are answered 503 with Retry-After); calls up go on.
    public func drain() { sessions.draining = true }

    public var isDraining: Bool { sessions.draining }

    /// The drain is over: every call ends (BYE, CANCEL, or a final response),
    /// every session is signed out and its user unregistered.
    public func endAll(now: UInt64) {
        sessions.draining = true
        for session in Array(callsOfSession.keys) {
            signal(session, .signedOut(reason: "the gateway is shutting down"))
            close(session, reason: "the gateway is shutting down", closeTransport: true, cause: .shutdown, now: now)
        }
    }

    /// A long-poll client without a password (GET /sign_in?ID); returns the outcome event.
    public func signInAnonymously(_ session: String, user: String) -> ServerEvent {
        let outcome = sessions.signInAnonymously(session, user: user)
        drainSessions()
        if case .signedIn = outcome { log("\(user) signed in anonymously (calls out only)") }
        return outcome
    }

    /// Where the registration of a user stands now.
    public func registrationChanged(user: String, state: RegistrationClient.State, now: UInt64) {
        let outcome: SessionTable.RegistrationOutcome = switch state {
        case .registered: .registered
        case .failed(let code, let reason): .failed(code: code, reason: reason)
        case .idle, .registering, .unregistered: .pending
        }
        sessions.registration(of: user, outcome, now: now)
        drainSessions()
    }

    /// The session table's decisions, as the model's outputs.
    func drainSessions() {
        while let output = sessions.pollOutput() {
            switch output {
            case .signal(let id, let event): signal(id, event)
            case .register(let user, let password): outputs.append(.register(user: user, password: password))
            case .unregister(let user): outputs.append(.unregister(user: user))
            case .forgetRegistration(let user): outputs.append(.forgetRegistration(user: user))
            case .lockedOut(let user, let source, let wait):
                log("\(user) from \(source): \(SignInLockout.maxFailures) wrong passwords, its sign-ins from there refused for \(wait / 1_000_000) s",
                    .warning)
            case .refused(let reason): outputs.append(.refused(reason: reason))
            }
        }
    }
}
