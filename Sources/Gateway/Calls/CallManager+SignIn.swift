import NIOCore
import SignalingProtocol
import SIP

/// Sign-in: a browser user becomes a SIP endpoint by registering with its
/// password as digest credentials (or, for an account of the configuration,
/// by proving the configured password); failures become clear codes.
extension CallManager {
    func signIn(_ s: ClientSession, user: String?, password: String?) {
        guard s.state == .new else { return s.error(.badState, "already signed in or signing in", request: "sign-in") }
        guard let user, SignalingToken.isUser(user) else {
            return s.error(.badUser, "a user name is 1-64 letters, digits, '.', '_', '-' or '+'", request: "sign-in")
        }
        guard let password, password.utf8.count <= 128, !password.contains(where: \.isNewline) else {
            return s.error(.badPassword, "a password of at most 128 bytes is needed", request: "sign-in")
        }
        guard sessionsByUser[user] == nil else {
            return s.error(.inUse, "\(user) is signed in elsewhere on this gateway", request: "sign-in")
        }
        if let failed = failedSignIns[Self.lockoutKey(user, s.source)], failed.lockedUntil > SIPService.now() {
            refusals.count("sign-in-locked")
            return s.error(.tooManyAttempts, "too many wrong passwords for \(user) from here; try again later",
                           request: "sign-in")
        }
        if let configured = configuredPassword(user) {
            // The gateway's own account (--register): the browser proves its password and shares its registration.
            guard Secret.equal(password, configured) else {
                noteWrongPassword(user, from: s.source)
                return s.error(.wrongPassword, "not the password configured for \(user)", request: "sign-in")
            }
            s.user = user
            s.password = password
            sessionsByUser[user] = s
            if case .registered = sip.clients[user]?.state {
                s.state = .signedIn
                return s.send(.signedIn(user: user, session: s.id))
            }
            s.state = .signingIn     // its registration is under way: signed in when it succeeds
        } else {
            s.state = .signingIn
            s.user = user
            s.password = password
            sessionsByUser[user] = s
            sip.register(user: user, password: password)
            sip.afterWork()
        }
        loop.scheduleTask(in: settings.signInTimeout) { [weak self, weak s] in
            guard let self, let s, s.state == .signingIn else { return }
            self.signInFailed(s, code: .serverUnreachable, message: "the SIP server did not answer the REGISTER")
        }
    }

    /// A long-poll client without a password (GET /sign_in?ID), when the
    /// configuration allows it: it may call the configured destinations as ID,
    /// unregistered, so it cannot be called. Returns the outcome event.
    func signInAnonymously(_ s: ClientSession, user: String) -> ServerEvent {
        guard !settings.anonymousDestinations.isEmpty else {
            refusals.count("anonymous-sign-in")
            return .error(SignalingError(.anonymousDisabled, "sign in with ID:PASSWORD (POST /sign_in)", request: "sign-in"))
        }
        guard s.state == .new, SignalingToken.isUser(user), configuredPassword(user) == nil else {
            return .error(SignalingError(.badUser, "a user name is 1-64 letters, digits, '.', '_', '-' or '+'", request: "sign-in"))
        }
        s.state = .signedIn
        s.anonymous = true
        s.user = user
        logger.info("\(user) signed in anonymously (calls out only)")
        return .signedIn(user: user, session: s.id)
    }

    func signInFailed(_ s: ClientSession, code: SignalingError.Code, message: String) {
        if let user = s.user, sessionsByUser[user] === s {
            sessionsByUser[user] = nil
            if configuredPassword(user) == nil { sip.dropRegistration(user: user) }
        }
        s.state = .new
        s.user = nil
        s.password = nil
        s.error(code, message, request: "sign-in")
    }

    func registrationChanged(user: String, state: RegistrationClient.State) {
        guard let s = sessionsByUser[user] else { return }
        switch (state, s.state) {
        case (.registered, .signingIn):
            failedSignIns[Self.lockoutKey(user, s.source)] = nil
            s.state = .signedIn
            s.send(.signedIn(user: user, session: s.id))
        case (.failed(let code, let reason), .signingIn):
            let why: SignalingError.Code = switch code {
            case 401, 403, 407: .wrongPassword
            case 404: .unknownUser
            case 408, 503: .serverUnreachable
            default: .registrationFailed
            }
            if why == .wrongPassword { noteWrongPassword(user, from: s.source) }
            signInFailed(s, code: why, message: "REGISTER failed: \(code) \(reason)")
        case (.failed(let code, let reason), .signedIn):
            // The registration client keeps trying with back-off; the client is told.
            s.send(.registrationLost(code: code, reason: reason))
        case (.registered, .signedIn):
            break
        default:
            break
        }
    }

    func noteWrongPassword(_ user: String, from source: String) {
        let key = Self.lockoutKey(user, source)
        var failed = failedSignIns[key] ?? (0, 0, 0)
        failed.count += 1
        if failed.count >= Self.maxFailedSignIns {
            // A minute, then twice as long after each lockout, up to 1,024 minutes.
            let wait = Self.signInLockout << min(failed.lockouts, 10)
            failed = (0, failed.lockouts + 1, SIPService.now() + wait)
            logger.warning("\(user) from \(source): \(Self.maxFailedSignIns) wrong passwords, its sign-ins from there refused for \(wait / 1_000_000) s")
        }
        if failedSignIns.count >= 10_000 {   // bounded: forget pairs that are not locked out
            let now = SIPService.now()
            failedSignIns = failedSignIns.filter { $0.value.lockedUntil > now }
        }
        failedSignIns[key] = failed
    }

    static func lockoutKey(_ user: String, _ source: String) -> String { user + " " + source }

    /// The password of an account from the configuration (--register), if `user` is one.
    func configuredPassword(_ user: String) -> String? {
        sip.settings.accounts.first { $0.user == user }?.password
    }
}
