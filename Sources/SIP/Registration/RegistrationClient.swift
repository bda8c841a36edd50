import WireInput

/// Keeps one account registered (RFC 3261 §10.2) as a sans-IO core: it makes
/// the REGISTER requests (sent by the caller through the transaction layer),
/// answers digest challenges (401 and 407), refreshes before expiry, backs off
/// after failures, and unregisters on request.
public final class RegistrationClient {
    public struct Account: Sendable {
        public var aor: SIPURI              // sip:1001@domain
        public var registrar: SIPURI        // sip:domain
        public var contact: SIPURI          // where we are reached
        public var credentials: DigestCredentials?
        public var expires = 3600
        /// The local transport address for the Via header.
        public var via: (transport: String, host: String, port: UInt16)

        public init(aor: SIPURI, registrar: SIPURI, contact: SIPURI, credentials: DigestCredentials?,
                    via: (transport: String, host: String, port: UInt16)) {
            self.aor = aor
            self.registrar = registrar
            self.contact = contact
            self.credentials = credentials
            self.via = via
        }
    }

    public enum State: Equatable, Sendable {
        case idle
        case registering
        case registered(expires: Int)
        case failed(code: Int, reason: String)
        case unregistered
    }

    public let account: Account
    public private(set) var state: State = .idle
    public private(set) var nextTimeout: UInt64?
    private let callID: String
    private let fromTag: String
    private var cseq: UInt32 = 0
    private var unregistering = false
    private var challenge: (DigestChallenge, header: String)?
    private var nonceCount = 0
    private var authAttempts = 0
    private var failures = 0
    private let token: () -> String

    /// `token` makes random tokens (tags, branches, cnonces): injectable for tests.
    public init(account: Account, token: @escaping () -> String) {
        self.account = account
        self.token = token
        callID = token()
        fromTag = token()
    }

    /// The first REGISTER.
    public func start(now: UInt64) -> SIPRequest {
        state = .registering
        return makeRequest(expires: account.expires)
    }

    /// The REGISTER with Expires: 0 that removes our binding.
    public func unregister(now: UInt64) -> SIPRequest {
        unregistering = true
        nextTimeout = nil
        return makeRequest(expires: 0)
    }

    /// A final response to our last REGISTER; may return the next request to send.
    public func handle(_ response: SIPResponse, now: UInt64) -> SIPRequest? {
        let code = response.statusCode
        guard code >= 200 else { return nil }
        if code == 401 || code == 407 {
            let header = code == 401 ? "WWW-Authenticate" : "Proxy-Authenticate"
            guard let creds = account.credentials,
                  let c = response.headers.all(header).compactMap(DigestChallenge.init).first(where: \.isSupported) else {
                return fail(code, "authentication required and no usable credentials", now: now)
            }
            // A second challenge for the same nonce means the password is wrong (unless stale=true).
            authAttempts += 1
            guard authAttempts <= 2 || c.stale else { return fail(code, "credentials refused", now: now) }
            if challenge?.0.nonce != c.nonce { nonceCount = 0 }
            challenge = (c, code == 401 ? "Authorization" : "Proxy-Authorization")
            _ = creds
            return makeRequest(expires: unregistering ? 0 : account.expires)
        }
        authAttempts = 0
        guard (200..<300).contains(code) else {
            if code == 423, let min = response.headers["Min-Expires"].flatMap(WireNumber.deltaSeconds) {
                // Interval too brief: ask again with what the registrar wants (§10.2.8).
                return makeRequest(expires: min)
            }
            return fail(code, response.reason, now: now)
        }
        failures = 0
        if unregistering {
            state = .unregistered
            nextTimeout = nil
            return nil
        }
        let granted = grantedExpires(response) ?? account.expires
        state = .registered(expires: granted)
        // Refresh well before expiry: at half the interval granted.
        nextTimeout = WireNumber.deadline(now, plus: WireNumber.microseconds(seconds: max(1, granted / 2)))
        return nil
    }

    /// The transaction timed out (no answer from the registrar).
    public func timedOut(now: UInt64) -> SIPRequest? { fail(408, "registrar did not answer", now: now) }

    /// A refresh or a retry, when due.
    public func poll(now: UInt64) -> SIPRequest? {
        guard let due = nextTimeout, now >= due else { return nil }
        nextTimeout = nil
        state = .registering
        return makeRequest(expires: account.expires)
    }

    private func fail(_ code: Int, _ reason: String, now: UInt64) -> SIPRequest? {
        state = .failed(code: code, reason: reason)
        challenge = nil
        authAttempts = 0
        guard !unregistering else { nextTimeout = nil; return nil }
        // Back off: 30 s, 60, 120, ... up to 10 minutes (RFC 5626 §4.5 in spirit).
        failures += 1
        nextTimeout = now + UInt64(min(30 << min(failures - 1, 5), 600)) * 1_000_000
        return nil
    }

    private func grantedExpires(_ response: SIPResponse) -> Int? {
        let ours = account.contact.description.lowercased()
        for value in response.headers.values("Contact") {
            guard let c = try? NameAddress(parsing: value), c.uri.description.lowercased() == ours else { continue }
            if let e = c.parameters.value("expires").flatMap(WireNumber.deltaSeconds) { return e }
        }
        return response.headers["Expires"].flatMap(WireNumber.deltaSeconds)
    }

    private func makeRequest(expires: Int) -> SIPRequest {
        cseq += 1
        var h = SIPHeaders.newRequest(.register, via: Via.local(transport: account.via.transport, host: account.via.host,
                                                                port: account.via.port, branchToken: token()),
                                      from: "<\(account.aor)>;tag=\(fromTag)", to: "<\(account.aor)>", callID: callID, cseq: cseq)
        h.add("Contact", "<\(account.contact)>")
        h.add("Expires", String(expires))
        h.add("User-Agent", "webrtc-gateway")
        if let (c, header) = challenge, let creds = account.credentials {
            nonceCount += 1
            h.add(header, creds.authorization(for: c, method: .register, uri: account.registrar.description,
                                              nonceCount: nonceCount, cnonce: token()))
        }
        return SIPRequest(method: .register, uri: account.registrar, headers: h)
    }
}
