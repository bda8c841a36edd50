import SIP
import ShellSupport

/// Answers that need no transaction: a 400 or 505 for a request that does
/// not parse, and where a response goes (RFC 3261 §18.2.2, RFC 3581 §4).
public enum StatelessReply {
    /// Salvages the headers of an unparsable request well enough to answer it.
    static func forUnparsable(_ bytes: [UInt8], error: SIPParseError, from source: SIPPeer) -> SIPMessage? {
        guard !bytes.starts(with: Array("SIP/".utf8)) else { return nil } // never answer a response
        let text = String(decoding: bytes.prefix(16 * 1024), as: UTF8.self)
        var headers = SIPHeaders()
        var lines = text.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" }).dropFirst().makeIterator()
        while let line = lines.next(), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters()
            let value = line[line.index(after: colon)...].trimmingCharacters()
            if ["via", "v", "from", "f", "to", "t", "call-id", "i", "cseq"].contains(name.lowercased()) {
                headers.add(name, value)
            }
        }
        guard headers["Via"] != nil, headers["CSeq"] != nil else { return nil }
        var request = SIPRequest(method: "UNKNOWN", uri: SIPURI(host: "invalid"), headers: headers)
        SIPServiceCore.markReceived(&request, from: source)
        let (code, reason) = if case .unsupportedVersion = error { (505, "Version Not Supported") } else { (400, error.reason) }
        return .response(TransactionLayer.response(to: request, SIPStatus(code), reason: reason, toTag: Random.token(10)))
    }

    /// A 400 for a request whose top Via cannot be read.
    static func badVia(_ r: SIPRequest, from source: SIPPeer) -> SIPMessage? {
        guard r.method != .ack else { return nil }
        return .response(TransactionLayer.response(to: r, .badRequest, reason: "Bad Via", toTag: Random.token(10)))
    }

    /// Where a response goes: to the received/rport address of the top Via,
    /// else to its sent-by (only IP literals; names are not resolved here).
    public static func responseDestination(_ r: SIPResponse) -> SIPPeer? {
        guard let via = r.headers.topVia else { return nil }
        let host = via.parameters.value("received") ?? via.host
        let port = via.parameters.value("rport").flatMap(UInt16.init) ?? via.port ?? 5060
        let transport = SIPPeer.Transport(rawValue: via.transport) ?? .udp
        return SIPPeer(transport, host: host.trimmingCharacters(in: "[]"), port: port)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
