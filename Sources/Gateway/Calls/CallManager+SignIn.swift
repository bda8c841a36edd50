import NIOCore
import SignalingProtocol
import SIP

/// Sign-in: a browser user becomes a SIP endpoint by registering with its
/// password as digest credentials (or, for an account of the configuration,
/// by proving the configured password); failures become clear codes.
extension CallManager {
    func signIn(_ s: ClientSession, user: String?, password: String?) {
        guard s.state == .new else { return s.error("bad-state", "already signed in or signing in", request: "sign-in") }
        guard let user, SignalingToken.isUser(user) else {
            return s.error("bad-user", "a user name is 1-64 letters, digits, '.', '_', '-' or '+'", request: "sign-in")
        }
        guard let password, password.utf8.count <= 128, !password.contains(where: \.isNewline) else {
            return s.error("bad-password", "a password of at most 128 bytes is needed", request: "sign-in")
        }
        guard sessionsByUser[user] == nil else {
            return s.error("in-use", "\(user) is signed in elsewhere on this gateway", request: "sign-in")
        }
        if let failed = failedSignIns[user], failed.lockedUntil > SIPService.now() {
            return s.error("too-many-attempts", "too many wrong passwords for \(user); try again in a minute",
                           request: "sign-in")
        }
        if let configured = configuredPassword(user) {
            // The gateway's own account (--register): the browser proves its password and shares its registration.
            guard Self.sameSecret(password, configured) else {
                noteWrongPassword(user)
                return s.error("wrong-password", "not the password configured for \(user)", request: "sign-in")
            }
            s.user = user
            s.password = password
            sessionsByUser[user] = s
            if case .registered = sip.clients[user]?.state {
                s.state = .signedIn
                return s.send(["type": "signed-in", "user": user, "session": s.id])
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
            self.signInFailed(s, code: "server-unreachable", message: "the SIP server did not answer the REGISTER")
        }
    }

    /// A long-poll client without a password (GET /sign_in?ID): it may place
    /// calls as ID, unregistered, so it cannot be called. Returns the outcome event.
    func signInAnonymously(_ s: ClientSession, user: String) -> [String: Any] {
        guard s.state == .new, SignalingToken.isUser(user) else {
            return ["type": "error", "code": "bad-user", "message": "a user name is 1-64 letters, digits, '.', '_', '-' or '+'"]
        }
        s.state = .signedIn
        s.user = user
        logger.info("\(user) signed in anonymously (calls out only)")
        return ["type": "signed-in", "user": user, "session": s.id]
    }

    func signInFailed(_ s: ClientSession, code: String, message: String) {
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
            failedSignIns[user] = nil
            s.state = .signedIn
            s.send(["type": "signed-in", "user": user, "session": s.id])
        case (.failed(let code, let reason), .signingIn):
            let why = switch code {
            case 401, 403, 407: "wrong-password"
            case 404: "unknown-user"
            case 408, 503: "server-unreachable"
            default: "registration-failed"
            }
            if why == "wrong-password" { noteWrongPassword(user) }
            signInFailed(s, code: why, message: "REGISTER failed: \(code) \(reason)")
        case (.failed(let code, let reason), .signedIn):
            // The registration client keeps trying with back-off; the client is told.
            s.send(["type": "registration", "state": "lost", "code": code, "reason": reason])
        case (.registered, .signedIn):
            break
        default:
            break
        }
    }

    func noteWrongPassword(_ user: String) {
        var failed = failedSignIns[user] ?? (0, 0)
        failed.count += 1
        if failed.count >= Self.maxFailedSignIns {
            failed = (0, SIPService.now() + Self.signInLockout)
            logger.warning("\(user): \(Self.maxFailedSignIns) wrong passwords, sign-ins refused for a minute")
        }
        if failedSignIns.count >= 10_000 {   // bounded: forget users that are not locked out
            let now = SIPService.now()
            failedSignIns = failedSignIns.filter { $0.value.lockedUntil > now }
        }
        failedSignIns[user] = failed
    }

    /// The password of an account from the configuration (--register), if `user` is one.
    func configuredPassword(_ user: String) -> String? {
        sip.settings.accounts.first { $0.user == user }?.password
    }

    /// Compares secrets in time independent of where they differ.
    static func sameSecret(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return difference == 0
    }
}
