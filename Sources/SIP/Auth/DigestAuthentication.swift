import CGatewayTLS

/// HTTP Digest authentication for SIP (RFC 3261 §22, RFC 2617, RFC 7616):
/// reading a challenge and computing the Authorization for it.

/// The `name=value` (or `name="value"`) parameters after `Digest` in a
/// challenge or an Authorization header; nil when it is not Digest.
enum DigestParameters {
    static func parse(_ header: String) -> [String: String]? {
        let t = SIPText.trim(Substring(header))
        guard t.lowercased().hasPrefix("digest") else { return nil }
        var params: [String: String] = [:]
        for part in SIPText.splitCommas(String(t.dropFirst(6))) {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            var v = SIPText.trim(kv[1])
            if v.first == "\"" && v.last == "\"" && v.count >= 2 { v = v.dropFirst().dropLast() }
            params[SIPText.trim(kv[0]).lowercased()] = String(v)
        }
        return params
    }
}
public struct DigestChallenge: Equatable, Sendable {
    public var realm: String
    public var nonce: String
    public var opaque: String?
    public var algorithm: String      // "MD5", "SHA-256", "SHA-512-256" (upper case)
    public var qop: [String]          // offered: "auth", "auth-int"
    public var stale: Bool

    /// Parses `Digest realm="...", nonce="...", ...` (WWW-Authenticate or Proxy-Authenticate).
    public init?(_ header: String) {
        guard let params = DigestParameters.parse(header), let realm = params["realm"], let nonce = params["nonce"] else {
            return nil
        }
        self.realm = realm
        self.nonce = nonce
        opaque = params["opaque"]
        algorithm = (params["algorithm"] ?? "MD5").uppercased()
        qop = params["qop"].map { $0.split(separator: ",").map { SIPText.trim($0).lowercased() } } ?? []
        stale = params["stale"]?.lowercased() == "true"
    }

    public var isSupported: Bool { DigestCredentials.hashName(algorithm) != nil }
}

public struct DigestCredentials: Sendable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    static func hashName(_ algorithm: String) -> String? {
        switch algorithm.uppercased() {
        case "MD5": "MD5"
        case "SHA-256": "SHA256"
        case "SHA-512-256": "SHA512-256"
        default: nil
        }
    }

    static func hex(_ algorithm: String, _ text: String) -> String {
        var out = [UInt8](repeating: 0, count: 64)
        let bytes = Array(text.utf8)
        let n = gwm_hash(hashName(algorithm) ?? "MD5", bytes, bytes.count, &out, out.count)
        return out.prefix(Int(max(n, 0))).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The value of an Authorization (or Proxy-Authorization) header answering
    /// `challenge` for `method` on `uri`. `nonceCount` counts uses of this nonce.
    public func authorization(for challenge: DigestChallenge, method: SIPMethod, uri: String, nonceCount: Int,
                              cnonce: String) -> String {
        let alg = challenge.algorithm
        var value = "Digest username=\"\(username)\", realm=\"\(challenge.realm)\", nonce=\"\(challenge.nonce)\", uri=\"\(uri)\""
        if challenge.qop.contains("auth") {
            let hexCount = String(nonceCount, radix: 16)
            let nc = String(repeating: "0", count: max(0, 8 - hexCount.count)) + hexCount
            let response = response(algorithm: alg, realm: challenge.realm, nonce: challenge.nonce, method: method, uri: uri,
                                    qop: (nc, cnonce))
            value += ", response=\"\(response)\", algorithm=\(alg), qop=auth, nc=\(nc), cnonce=\"\(cnonce)\""
        } else {
            let response = response(algorithm: alg, realm: challenge.realm, nonce: challenge.nonce, method: method, uri: uri, qop: nil)
            value += ", response=\"\(response)\", algorithm=\(alg)"
        }
        if let opaque = challenge.opaque { value += ", opaque=\"\(opaque)\"" }
        return value
    }

    /// The `response` value (RFC 2617 §3.2.2.1): with `qop` (nc, cnonce) for qop=auth, without for the RFC 2069 form.
    func response(algorithm alg: String, realm: String, nonce: String, method: SIPMethod, uri: String,
                  qop: (nc: String, cnonce: String)?) -> String {
        let ha1 = Self.hex(alg, "\(username):\(realm):\(password)")
        let ha2 = Self.hex(alg, "\(method):\(uri)")
        guard let qop else { return Self.hex(alg, "\(ha1):\(nonce):\(ha2)") }
        return Self.hex(alg, "\(ha1):\(nonce):\(qop.nc):\(qop.cnonce):auth:\(ha2)")
    }
}
