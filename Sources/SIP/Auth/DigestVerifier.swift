import CGatewayTLS
import WireInput

/// The server side of SIP Digest (RFC 3261 §22.4, RFC 2617 with qop=auth,
/// MD5): challenges requests and checks their credentials against the
/// configured accounts. Sans-IO and stateless: a nonce is its issue time and
/// an HMAC of it under a secret of this process, valid for `nonceLifetime`;
/// an expired one is answered with a fresh challenge marked stale.
public struct DigestVerifier: Sendable {
    public enum Outcome: Equatable, Sendable {
        /// The credentials are good: the request comes from `user`.
        case authenticated(user: String)
        /// None, wrong ones, or a nonce that is not ours or has expired (`stale`): challenge again.
        case challenge(stale: Bool)
    }

    public let realm: String
    private let accounts: [String: String]
    private let secret: [UInt8]
    public static let nonceLifetime: UInt64 = 300_000_000

    public init(realm: String, accounts: [String: String], secret: [UInt8]) {
        self.realm = realm
        self.accounts = accounts
        self.secret = secret
    }

    /// The WWW-Authenticate (or Proxy-Authenticate) value asking for credentials at `now`.
    public func challenge(now: UInt64, stale: Bool = false) -> String {
        "Digest realm=\"\(realm)\", nonce=\"\(nonce(at: now))\", algorithm=MD5, qop=\"auth\"" + (stale ? ", stale=true" : "")
    }

    /// Checks the Authorization (REGISTER) or Proxy-Authorization (other requests) of `request`.
    public func verify(_ request: SIPRequest, header: String, now: UInt64) -> Outcome {
        for value in request.headers.all(header) {     // whole values: the parameters hold commas
            guard let p = DigestParameters.parse(value), p["realm"] == realm, let user = p["username"],
                  let password = accounts[user], let nonce = p["nonce"], let uri = p["uri"], let given = p["response"],
                  (p["algorithm"] ?? "MD5").uppercased() == "MD5" else { continue }
            guard let issued = issueTime(of: nonce) else { continue }
            let qop: (nc: String, cnonce: String)?
            if let q = p["qop"] {
                guard q.lowercased() == "auth", let nc = p["nc"], let cnonce = p["cnonce"] else { continue }
                qop = (nc, cnonce)
            } else {
                qop = nil
            }
            let expected = DigestCredentials(username: user, password: password)
                .response(algorithm: "MD5", realm: realm, nonce: nonce, method: request.method, uri: uri, qop: qop)
            guard Secret.equal(expected, given.lowercased()) else { continue }
            guard now < issued || now - issued <= Self.nonceLifetime else { return .challenge(stale: true) }
            return .authenticated(user: user)
        }
        return .challenge(stale: false)
    }

    private func nonce(at now: UInt64) -> String {
        let time = String(now, radix: 16)
        return time + "." + mac(time)
    }

    /// When a nonce of ours was issued; nil for one we did not make.
    private func issueTime(of nonce: String) -> UInt64? {
        let (time, mac) = nonce.splitOnce(".")
        guard let mac, time.utf8.count <= 16, Secret.equal(self.mac(String(time)), String(mac)) else { return nil }
        return UInt64(time, radix: 16)
    }

    private func mac(_ text: String) -> String {
        var out = [UInt8](repeating: 0, count: 20)
        let bytes = Array(text.utf8)
        _ = gwm_hmac_sha1(secret, secret.count, bytes, bytes.count, &out)
        return out.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

extension DigestVerifier {
    /// What a registrar and proxy with accounts asks of a request before taking
    /// it: a REGISTER needs Authorization for the user it registers (401, or
    /// 403 for another user's binding), a new INVITE Proxy-Authorization (407).
    /// nil: the request may go on (in-dialog requests, ACK, CANCEL, OPTIONS
    /// carry no credentials in SIP).
    public func demand(for request: SIPRequest, now: UInt64, toTag: String) -> SIPResponse? {
        let (header, code, reason, ask): (String, Int, String, String)
        switch request.method {
        case .register: (header, code, reason, ask) = ("Authorization", 401, "Unauthorized", "WWW-Authenticate")
        case .invite where TransactionLayer.startsACall(request):
            (header, code, reason, ask) = ("Proxy-Authorization", 407, "Proxy Authentication Required", "Proxy-Authenticate")
        default: return nil
        }
        switch verify(request, header: header, now: now) {
        case .authenticated(let user):
            guard request.method == .register else { return nil }
            let to = request.headers.to
            guard to?.uri.user == user else {
                return TransactionLayer.response(to: request, .forbidden, reason: "Forbidden: Not Your Binding", toTag: toTag)
            }
            return nil
        case .challenge(let stale):
            var response = TransactionLayer.response(to: request, SIPStatus(code), reason: reason, toTag: toTag)
            response.headers.add(ask, challenge(now: now, stale: stale))
            return response
        }
    }
}
