import WireInput

/// A SIP, SIPS or tel URI (RFC 3261 §19.1, RFC 3966), or any other absolute
/// URI kept opaque (so that a request with one can be answered 416).
public struct SIPURI: Equatable, Sendable, CustomStringConvertible {
    public var scheme: String          // lower case
    public var user: String?           // as written, escapes kept
    public var password: String?
    public var host: String            // host for sip/sips, the number for tel, the rest for others
    public var port: UInt16?
    public var parameters: [SIPParameter]
    public var headers: String?        // the part after "?", as written

    public init(scheme: String = "sip", user: String? = nil, host: String, port: UInt16? = nil,
                parameters: [SIPParameter] = [], headers: String? = nil) {
        self.scheme = scheme
        self.user = user
        self.host = host
        self.port = port
        self.parameters = parameters
        self.headers = headers
    }

    public var isSIP: Bool { scheme == "sip" || scheme == "sips" }

    public init(parsing text: some StringProtocol) throws(SIPParseError) {
        let s = Substring(text)
        guard let colon = s.utf8.firstIndex(of: UInt8(ascii: ":")) else { throw .badURI("no scheme in '\(s.prefix(40))'") }
        let scheme = s[..<colon]
        guard let first = scheme.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first | 0x20),
              scheme.utf8.allSatisfy({ SIPText.isTokenByte($0) && $0 != UInt8(ascii: "%") }) else {
            throw .badURI("bad scheme '\(scheme.prefix(40))'")
        }
        let rest = s[s.index(after: colon)...]
        // Nothing in a URI may be a space, a control character, a quote or an angle bracket unescaped.
        guard !rest.isEmpty, !rest.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F || "<>\"".utf8.contains($0) }) else {
            throw .badURI("unescaped character in URI")
        }
        self.scheme = scheme.lowercased()
        user = nil
        password = nil
        port = nil
        parameters = []
        headers = nil
        host = ""
        switch self.scheme {
        case "sip", "sips": try parseSIP(rest)
        case "tel":
            let (number, params) = rest.splitOnce(";")
            guard !number.isEmpty else { throw .badURI("tel URI without a number") }
            host = String(number)
            if let params { parameters = try SIPText.parameters(";" + params) }
        default:
            host = String(rest)
        }
    }

    private mutating func parseSIP(_ text: Substring) throws(SIPParseError) {
        // '@' appears unescaped only after the userinfo (RFC 3261 §25.1), which
        // itself may hold ';', '?' and '/': split there first.
        var rest = text
        if let at = rest.utf8.firstIndex(of: UInt8(ascii: "@")) {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let c = userinfo.utf8.firstIndex(of: UInt8(ascii: ":")) {
                user = String(userinfo[..<c])
                password = String(userinfo[userinfo.index(after: c)...])
            } else {
                user = String(userinfo)
            }
            guard let u = user, !u.isEmpty, Self.validEscapes(Substring(u)) else { throw .badURI("bad user part") }
        }
        if let q = rest.utf8.firstIndex(of: UInt8(ascii: "?")) {
            headers = String(rest[rest.index(after: q)...])
            rest = rest[..<q]
        }
        let hostEnd = rest.utf8.firstIndex(of: UInt8(ascii: ";")) ?? rest.endIndex
        let hostport = rest[..<hostEnd]
        if hostEnd < rest.endIndex { parameters = try SIPText.parameters(rest[hostEnd...]) }
        if hostport.utf8.first == UInt8(ascii: "[") {
            guard let close = hostport.utf8.firstIndex(of: UInt8(ascii: "]")) else { throw .badURI("unterminated IPv6 reference") }
            host = String(hostport[...close])
            let after = hostport[hostport.index(after: close)...]
            if !after.isEmpty {
                guard after.utf8.first == UInt8(ascii: ":"), let p = UInt16(after.dropFirst()) else { throw .badURI("bad port") }
                port = p
            }
        } else {
            if let c = hostport.utf8.firstIndex(of: UInt8(ascii: ":")) {
                host = String(hostport[..<c])
                let digits = hostport[hostport.index(after: c)...]
                guard let p = UInt16(digits) else { throw .badURI("bad port '\(digits.prefix(10))'") }
                port = p
            } else {
                host = String(hostport)
            }
        }
        guard !host.isEmpty, host.utf8.first == UInt8(ascii: "[") || host.utf8.allSatisfy({ SIPText.isTokenByte($0) && $0 != UInt8(ascii: "%") })
        else { throw .badURI("bad host '\(host.prefix(40))'") }
    }

    private static func validEscapes(_ s: Substring) -> Bool {
        var it = s.utf8.makeIterator()
        while let b = it.next() {
            if b == UInt8(ascii: "%") {
                guard let h1 = it.next(), let h2 = it.next(), isHex(h1), isHex(h2) else { return false }
            }
        }
        return true
    }

    private static func isHex(_ b: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(b)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(b)
    }

    public var description: String {
        guard isSIP else {
            return scheme == "tel" ? "tel:\(host)" + parameters.map(\.text).joined() : "\(scheme):\(host)"
        }
        var out = "\(scheme):"
        if let user {
            out += user
            if let password { out += ":\(password)" }
            out += "@"
        }
        out += host
        if let port { out += ":\(port)" }
        out += parameters.map(\.text).joined()
        if let headers { out += "?\(headers)" }
        return out
    }
}
