import DequeModule
import SignalingProtocol
import SIP
import WireInput

/// The signed-in sessions (sans-IO): who may open a session and from where,
/// who signs in as whom, when a sign-in has waited too long, and what each
/// change means for the SIP side (register, unregister) and for the client
/// (its events). Inputs carry `now` (µs); outputs are values taken with
/// `pollOutput()`; `nextTimeout` is the one deadline to wake up for.
public struct SessionTable: Sendable {
    public struct Settings: Sendable {
        public var maxSessions = 1000
        /// Sessions from one IP address (a contact center behind one NAT shares one).
        public var maxSessionsPerSource = 200
        /// How long a sign-in waits for its REGISTER's outcome (µs).
        public var signInTimeout: UInt64 = 10_000_000
        /// The gateway's own accounts (--register) and their passwords: a
        /// browser signs in as one by proving the password and shares its registration.
        public var accounts: [String: String] = [:]
        /// Anonymous sign-in (long-poll `GET /sign_in?ID`) is on when this is not empty.
        public var anonymousDestinations: Set<String> = []
        public init() {}
    }

    public struct Session: Sendable, Equatable {
        public enum State: Sendable, Equatable { case new, signingIn, signedIn }
        public let id: String
        /// The client's IP address: sessions and wrong passwords are counted per source.
        public let source: String
        public fileprivate(set) var state = State.new
        public fileprivate(set) var user: String?
        public fileprivate(set) var password: String?
        /// Signed in without a password: calls out only, to the configured destinations.
        public fileprivate(set) var anonymous = false
        /// When the sign-in under way gives up waiting for its REGISTER.
        fileprivate var signInDeadline: UInt64?
    }

    public enum Output: Sendable, Equatable {
        case signal(session: String, ServerEvent)
        /// Keep `user` registered with these credentials (a browser user's own registration).
        case register(user: String, password: String)
        /// Remove `user`'s binding (REGISTER with Expires: 0).
        case unregister(user: String)
        /// Stop trying to register `user`, without a REGISTER (a sign-in that failed).
        case forgetRegistration(user: String)
        /// Sign-ins of `user` from `source` wait this long (µs): too many wrong passwords.
        case lockedOut(user: String, source: String, wait: UInt64)
        /// A request refused at a limit (for the refusal counters).
        case refused(reason: String)
    }

    /// Why a new session is refused.
    public enum Refusal: String, Error, Sendable {
        case serverFull = "server-full", tooManyFromSource = "too-many-sessions", draining
        public var code: SignalingError.Code {
            switch self {
            case .serverFull: .serverFull
            case .tooManyFromSource: .tooManySessions
            case .draining: .draining
            }
        }
    }

    /// The gateway is shutting down: no new session, no sign-in.
    public var draining = false

    public let settings: Settings
    private var sessions: [String: Session] = [:]
    private var sessionByUser: [String: String] = [:]
    private var countBySource: [String: Int] = [:]
    private var lockout = SignInLockout()
    /// Configured accounts whose registration is up (a browser signing in as one is signed in at once).
    private var registeredAccounts: Set<String> = []
    /// Sign-ins waiting for their REGISTER, earliest deadline first (all wait equally long).
    private var signInDeadlines = Deque<(at: UInt64, session: String)>()
    private var outputs = Deque<Output>()

    public init(settings: Settings) { self.settings = settings }

    public subscript(id: String) -> Session? { sessions[id] }
    public func session(ofUser user: String) -> Session? { sessionByUser[user].flatMap { sessions[$0] } }
    public var count: Int { sessions.count }
    public var signedInUsers: Int { sessionByUser.count }

    public mutating func pollOutput() -> Output? { outputs.popFirst() }

    public var nextTimeout: UInt64? { signInDeadlines.first?.at }

    // MARK: inputs

    /// A new client, its id chosen by the caller; refused beyond the bounds.
    public mutating func open(id: String, source: String) -> Refusal? {
        let refusal: Refusal? = draining ? .draining : sessions.count >= settings.maxSessions ? .serverFull
            : countBySource[source, default: 0] >= settings.maxSessionsPerSource ? .tooManyFromSource : nil
        if let refusal {
            outputs.append(.refused(reason: refusal.rawValue))
            return refusal
        }
        sessions[id] = Session(id: id, source: source)
        countBySource[source, default: 0] += 1
        return nil
    }

    /// A client asks to sign in as `user` with `password`.
    public mutating func signIn(_ id: String, user: String?, password: String?, now: UInt64) {
        guard var s = sessions[id] else { return }
        func refuse(_ code: SignalingError.Code, _ message: String) {
            outputs.append(.signal(session: id, .error(SignalingError(code, message, request: "sign-in"))))
        }
        guard s.state == .new else { return refuse(.badState, "already signed in or signing in") }
        guard !draining else { return refuse(.draining, "the gateway is shutting down: sign in again (to another instance)") }
        guard let user, SignalingToken.isUser(user) else {
            return refuse(.badUser, "a user name is 1-64 letters, digits, '.', '_', '-' or '+'")
        }
        guard let password, password.utf8.count <= 128, !password.contains(where: \.isNewline) else {
            return refuse(.badPassword, "a password of at most 128 bytes is needed")
        }
        guard sessionByUser[user] == nil else { return refuse(.inUse, "\(user) is signed in elsewhere on this gateway") }
        if lockout.isLocked(user: user, source: s.source, now: now) {
            outputs.append(.refused(reason: "sign-in-locked"))
            return refuse(.tooManyAttempts, "too many wrong passwords for \(user) from here; try again later")
        }
        if let configured = settings.accounts[user] {
            guard Secret.equal(password, configured) else {
                noteWrongPassword(user, from: s.source, now: now)
                return refuse(.wrongPassword, "not the password configured for \(user)")
            }
        }
        s.user = user
        s.password = password
        sessionByUser[user] = id
        if settings.accounts[user] != nil, registeredAccounts.contains(user) {
            s.state = .signedIn
            sessions[id] = s
            return outputs.append(.signal(session: id, .signedIn(user: user, session: id)))
        }
        // Signed in when the registration succeeds (its own, or the configured account's under way).
        s.state = .signingIn
        s.signInDeadline = WireNumber.deadline(now, plus: settings.signInTimeout)
        sessions[id] = s
        if settings.accounts[user] == nil { outputs.append(.register(user: user, password: password)) }
        signInDeadlines.append((s.signInDeadline ?? now, id))
    }

    /// A long-poll client without a password (GET /sign_in?ID), when the
    /// configuration allows it: it may call the configured destinations as
    /// `user`, unregistered, so it cannot be called. Returns the outcome.
    public mutating func signInAnonymously(_ id: String, user: String) -> ServerEvent {
        guard !draining else {
            return .error(SignalingError(.draining, "the gateway is shutting down: sign in again (to another instance)", request: "sign-in"))
        }
        guard !settings.anonymousDestinations.isEmpty else {
            outputs.append(.refused(reason: "anonymous-sign-in"))
            return .error(SignalingError(.anonymousDisabled, "sign in with ID:PASSWORD (POST /sign_in)", request: "sign-in"))
        }
        guard var s = sessions[id], s.state == .new, SignalingToken.isUser(user), settings.accounts[user] == nil else {
            return .error(SignalingError(.badUser, "a user name is 1-64 letters, digits, '.', '_', '-' or '+'", request: "sign-in"))
        }
        s.state = .signedIn
        s.anonymous = true
        s.user = user
        sessions[id] = s
        return .signedIn(user: user, session: id)
    }

    /// What became of a registration: a sign-in waiting for it ends, a signed-in user hears of its loss.
    public mutating func registration(of user: String, _ outcome: RegistrationOutcome, now: UInt64) {
        if settings.accounts[user] != nil {
            if outcome == .registered { registeredAccounts.insert(user) } else { registeredAccounts.remove(user) }
        }
        guard let id = sessionByUser[user], var s = sessions[id] else { return }
        switch (outcome, s.state) {
        case (.registered, .signingIn):
            lockout.succeeded(user: user, source: s.source)
            s.state = .signedIn
            s.signInDeadline = nil
            sessions[id] = s
            outputs.append(.signal(session: id, .signedIn(user: user, session: id)))
        case (.failed(let code, let reason), .signingIn):
            let why: SignalingError.Code = switch code {
            case 401, 403, 407: .wrongPassword
            case 404: .unknownUser
            case 408, 503: .serverUnreachable
            default: .registrationFailed
            }
            if why == .wrongPassword { noteWrongPassword(user, from: s.source, now: now) }
            signInFailed(id, code: why, message: "REGISTER failed: \(code) \(reason)")
        case (.failed(let code, let reason), .signedIn):
            // The registration keeps trying with back-off; the client is told.
            outputs.append(.signal(session: id, .registrationLost(code: code, reason: reason)))
        default:
            break
        }
    }

    public enum RegistrationOutcome: Sendable, Equatable {
        case registered
        case failed(code: Int, reason: String)
        /// Being registered, or not registered (before the first REGISTER, after removal).
        case pending
    }

    /// The client left (signed out, its transport closed or expired); returns
    /// the session it had. Its calls are the caller's to end first.
    @discardableResult
    public mutating func close(_ id: String) -> Session? {
        guard let s = sessions.removeValue(forKey: id) else { return nil }
        if let user = s.user, sessionByUser[user] == id {
            sessionByUser[user] = nil
            if settings.accounts[user] != nil {
                // A configured account stays registered: it is the gateway's, not the browser's.
            } else if s.state == .signedIn {
                outputs.append(.unregister(user: user))
            } else {
                outputs.append(.forgetRegistration(user: user))
            }
        }
        let left = countBySource[s.source, default: 1] - 1
        countBySource[s.source] = left > 0 ? left : nil
        return s
    }

    /// Sign-ins whose REGISTER was not answered in time fail.
    public mutating func handleTimeout(now: UInt64) {
        while let first = signInDeadlines.first, first.at <= now {
            signInDeadlines.removeFirst()
            // A deadline of an earlier attempt of the same session is not this one's.
            guard let s = sessions[first.session], s.state == .signingIn, s.signInDeadline == first.at else { continue }
            signInFailed(first.session, code: .serverUnreachable, message: "the SIP server did not answer the REGISTER")
        }
    }

    // MARK: private

    private mutating func signInFailed(_ id: String, code: SignalingError.Code, message: String) {
        guard var s = sessions[id] else { return }
        if let user = s.user, sessionByUser[user] == id {
            sessionByUser[user] = nil
            if settings.accounts[user] == nil { outputs.append(.forgetRegistration(user: user)) }
        }
        s.state = .new
        s.user = nil
        s.password = nil
        s.signInDeadline = nil
        sessions[id] = s
        outputs.append(.signal(session: id, .error(SignalingError(code, message, request: "sign-in"))))
    }

    private mutating func noteWrongPassword(_ user: String, from source: String, now: UInt64) {
        if let wait = lockout.noteWrongPassword(user: user, source: source, now: now) {
            outputs.append(.lockedOut(user: user, source: source, wait: wait))
        }
    }
}
