/// One Via value (RFC 3261 §20.42): `SIP/2.0/UDP host[:port];branch=...;rport`.
public struct Via: Equatable, Sendable, CustomStringConvertible {
    public var transport: String       // upper case: UDP, TCP, TLS, SCTP, WS, WSS
    public var host: String
    public var port: UInt16?
    public var parameters: [SIPParameter]

    /// RFC 3261 §8.1.1.7: branches that start with the magic cookie are RFC 3261 transactions.
    public static let magicCookie = "z9hG4bK"

    public init(transport: String, host: String, port: UInt16? = nil, parameters: [SIPParameter] = []) {
        self.transport = transport
        self.host = host
        self.port = port
        self.parameters = parameters
    }

    public var branch: String? { parameters.value("branch") }

    /// The Via this element puts on a request it sends: a fresh branch with the
    /// magic cookie, and rport asked for (RFC 3581).
    public static func local(transport: String, host: String, port: UInt16, branchToken: String) -> Via {
        Via(transport: transport, host: host, port: port,
            parameters: [SIPParameter(name: "branch", value: magicCookie + branchToken), SIPParameter(name: "rport")])
    }

    public init(parsing text: some StringProtocol) throws(SIPParseError) {
        let s = SIPText.trim(Substring(text))
        let slash = s.split(separator: "/", maxSplits: 2)
        guard slash.count == 3, SIPText.trim(slash[0]).uppercased() == "SIP", SIPText.trim(slash[1]) == "2.0" else {
            throw .badHeader("Via without SIP/2.0/<transport>")
        }
        let afterProto = SIPText.trim(slash[2])
        guard let space = afterProto.firstIndex(where: SIPText.isWhitespace) else { throw .badHeader("Via without sent-by") }
        let transport = afterProto[..<space]
        guard SIPText.isToken(transport) else { throw .badHeader("bad Via transport") }
        self.transport = transport.uppercased()
        let rest = SIPText.trim(afterProto[space...])
        let end = rest.firstIndex(of: ";") ?? rest.endIndex
        let sentBy = SIPText.trim(rest[..<end])
        if sentBy.first == "[" {
            guard let close = sentBy.firstIndex(of: "]") else { throw .badHeader("bad IPv6 sent-by") }
            host = String(sentBy[...close])
            let after = sentBy[sentBy.index(after: close)...]
            port = after.first == ":" ? UInt16(after.dropFirst()) : nil
            if !after.isEmpty && port == nil { throw .badHeader("bad Via port") }
        } else {
            let hp = sentBy.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = String(SIPText.trim(hp[0]))
            port = nil
            if hp.count == 2 {
                guard let p = UInt16(SIPText.trim(hp[1])) else { throw .badHeader("bad Via port") }
                port = p
            }
        }
        guard !host.isEmpty, host.first == "[" || host.utf8.allSatisfy(SIPText.isTokenByte) else {
            throw .badHeader("bad Via host")
        }
        parameters = try SIPText.parameters(rest[end...])
    }

    public var description: String {
        "SIP/2.0/\(transport) \(host)" + (port.map { ":\($0)" } ?? "") + parameters.map(\.text).joined()
    }
}

/// `CSeq: <number> <method>` (RFC 3261 §20.16); the number is below 2^31.
public struct CSeq: Equatable, Sendable {
    public var number: UInt32
    public var method: SIPMethod

    public init(number: UInt32, method: SIPMethod) {
        self.number = number
        self.method = method
    }

    public init(parsing text: some StringProtocol) throws(SIPParseError) {
        let parts = SIPText.trim(Substring(text)).split(whereSeparator: SIPText.isWhitespace)
        guard parts.count == 2, parts[0].utf8.allSatisfy({ (48...57).contains($0) }), parts[0].count <= 10,
              let n = UInt64(parts[0]), n < 1 << 31, SIPText.isToken(parts[1]) else {
            throw .badHeader("bad CSeq")
        }
        number = UInt32(n)
        method = SIPMethod(parts[1])
    }

    public var description: String { "\(number) \(method)" }
}
