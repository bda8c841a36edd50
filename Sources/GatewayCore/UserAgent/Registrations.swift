import SIP

/// The registrations the gateway's user agent keeps on its SIP server, one
/// per user (sans-IO): each user's `RegistrationClient`, which transaction
/// belongs to whom, and one deadline queue for their refreshes and retries.
/// The shell sends what `pollOutput` hands out, through a client transaction
/// whose key it reports back with `sent`, and feeds in the transactions'
/// outcomes.
public final class Registrations {
    /// Where the user agent is reached, and how long it asks to be registered for.
    public struct Settings: Sendable {
        public var domain: String
        public var contactHost: String
        public var contactPort: UInt16
        /// The transport of the Via the REGISTERs carry (the SIP server's).
        public var transport: String
        public var expires: Int

        public init(domain: String, contactHost: String, contactPort: UInt16, transport: String, expires: Int) {
            self.domain = domain
            self.contactHost = contactHost
            self.contactPort = contactPort
            self.transport = transport
            self.expires = expires
        }
    }

    public enum Output {
        /// Send this REGISTER of `user` to the SIP server in a new client transaction (report its key with `sent`).
        case send(SIPRequest, user: String)
        /// `user`'s registration changed state (registered, failed, unregistered).
        case changed(user: String, state: RegistrationClient.State)
    }

    public var settings: Settings
    private let token: () -> String
    /// Users whose un-REGISTER is out.
    private var leaving = Set<String>()
    private var clients: [String: RegistrationClient] = [:]
    private var transactions = OwnerIndex<TransactionKey, String>()
    private var deadlines = DeadlineQueue<String>()
    private var outputs: [Output] = []

    public init(settings: Settings, token: @escaping () -> String) {
        self.settings = settings
        self.token = token
    }

    public var count: Int { clients.count }
    public var isEmpty: Bool { clients.isEmpty }
    public func state(of user: String) -> RegistrationClient.State? { clients[user]?.state }
    /// Every user and where its registration stands.
    public var states: [(user: String, state: RegistrationClient.State)] { clients.map { ($0.key, $0.value.state) } }

    public func pollOutput() -> Output? { outputs.isEmpty ? nil : outputs.removeFirst() }

    public var nextTimeout: UInt64? { deadlines.next() }

    // MARK: inputs

    /// Starts keeping `user` registered, with `password` as its Digest credentials.
    public func register(user: String, password: String?, now: UInt64) {
        var account = RegistrationClient.Account(
            aor: SIPURI(user: user, host: settings.domain), registrar: SIPURI(host: settings.domain),
            contact: SIPURI(user: user, host: settings.contactHost, port: settings.contactPort),
            credentials: password.map { DigestCredentials(username: user, password: $0) },
            via: (settings.transport, settings.contactHost, settings.contactPort))
        account.expires = settings.expires
        let client = RegistrationClient(account: account, token: token)
        clients[user] = client
        leaving.remove(user)
        outputs.append(.send(client.start(now: now), user: user))
        reschedule(user)
    }

    /// Removes `user`'s binding; the user is forgotten once the server answered. Once is enough
    /// (a signed-out user and the shutdown both ask).
    public func unregister(user: String, now: UInt64) {
        guard let client = clients[user], leaving.insert(user).inserted else { return }
        outputs.append(.send(client.unregister(now: now), user: user))
        reschedule(user)
    }

    /// Stops keeping `user` registered, without a REGISTER (a sign-in that failed).
    public func forget(user: String) {
        clients[user] = nil
        leaving.remove(user)
        transactions.removeAll(of: user)
        reschedule(user)
    }

    /// The client transaction a REGISTER of `user` went out in.
    public func sent(_ key: TransactionKey, for user: String) { transactions.add(key, owner: user) }

    /// A final response in one of the registrations' transactions; false when the transaction is not theirs.
    public func response(_ response: SIPResponse, key: TransactionKey, now: UInt64) -> Bool {
        guard transactions[key] != nil else { return false }
        guard response.statusCode >= 200, let user = transactions.remove(key), let client = clients[user] else { return true }
        if let next = client.handle(response, now: now) { outputs.append(.send(next, user: user)) }
        outputs.append(.changed(user: user, state: client.state))
        if client.state == .unregistered {
            clients[user] = nil
            leaving.remove(user)
        }
        reschedule(user)
        return true
    }

    /// A registration's transaction got no final response; false when it is not theirs.
    public func timeout(_ key: TransactionKey, now: UInt64) -> Bool {
        guard let user = transactions.remove(key) else { return false }
        guard let client = clients[user] else { return true }
        if let next = client.timedOut(now: now) { outputs.append(.send(next, user: user)) }
        outputs.append(.changed(user: user, state: client.state))
        reschedule(user)
        return true
    }

    /// Refreshes and retries that are due.
    public func handleTimeout(now: UInt64) {
        for user in deadlines.due(now: now) {
            guard let client = clients[user] else { continue }
            if let request = client.poll(now: now) { outputs.append(.send(request, user: user)) }
            reschedule(user)
        }
    }

    private func reschedule(_ user: String) { deadlines.set(user, at: clients[user]?.nextTimeout) }
}
