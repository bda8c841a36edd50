/// Parses SIP messages from datagrams and streams (RFC 3261 §7, §18.3).
public enum SIPParser {
    public struct Limits: Sendable {
        public var startLine = 8 * 1024
        public var headerBytes = 64 * 1024
        public var headerCount = 256
        public var body = 128 * 1024
        public init() {}
    }

    public enum Framing: Sendable {
        /// UDP: one message per datagram; without Content-Length the body is the rest.
        case datagram
        /// TCP/TLS: messages back to back, framed by Content-Length.
        case stream
    }

    static let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), sp = UInt8(ascii: " "), tab = UInt8(ascii: "\t")

    /// Parses one message from the start of `bytes`; returns it and how many
    /// bytes it took (trailing bytes of a datagram are ignored, RFC 4475 §3.1.1.7).
    /// On a stream, `.incomplete` asks for more bytes.
    public static func parse(_ bytes: [UInt8], framing: Framing, limits: Limits = Limits())
        throws(SIPParseError) -> (message: SIPMessage, consumed: Int) {
        // Keep-alive CRLFs before a message (RFC 5626 §3.5.1) are skipped.
        var start = 0
        while start < bytes.count, bytes[start] == cr || bytes[start] == lf { start += 1 }
        guard start < bytes.count else { throw .incomplete }

        // Find the empty line that ends the headers.
        var lines: [Range<Int>] = []
        var lineStart = start
        var bodyStart: Int?
        var i = start
        while i < bytes.count {
            if bytes[i] == lf {
                let end = i > lineStart && bytes[i - 1] == cr ? i - 1 : i
                if end == lineStart {
                    bodyStart = i + 1
                    break
                }
                lines.append(lineStart..<end)
                guard lines.count <= limits.headerCount + 1 else { throw .tooLarge("more than \(limits.headerCount) header lines") }
                lineStart = i + 1
            }
            i += 1
            if i - start > limits.headerBytes { throw .tooLarge("headers over \(limits.headerBytes) bytes") }
        }
        if bodyStart == nil {
            guard framing == .datagram else { throw .incomplete }
            if lineStart < bytes.count { lines.append(lineStart..<bytes.count) } // a datagram may end without it
            bodyStart = bytes.count
        }
        guard let first = lines.first else { throw .badStartLine("empty") }
        guard first.count <= limits.startLine else { throw .tooLarge("start line over \(limits.startLine) bytes") }

        var headers = SIPHeaders()
        headers.reserve(lines.count)
        var current: (name: String, value: String)?
        var contentLengths: [String] = []
        func add(_ name: String, _ value: String) {
            headers.add(name, value)
            if SIPHeaders.sameName(headers.fields[headers.fields.count - 1].name, "Content-Length") { contentLengths.append(value) }
        }
        for line in lines.dropFirst() {
            if bytes[line.lowerBound] == sp || bytes[line.lowerBound] == tab {
                // Folded continuation (RFC 3261 §7.3.1): joins the previous value with one space.
                guard current != nil else { throw .badHeader("continuation line before any header") }
                let more = string(trimmed(bytes[line]))
                current!.value += current!.value.isEmpty || more.isEmpty ? more : " " + more
                continue
            }
            if let c = current { add(c.name, c.value) }
            guard let colon = bytes[line].firstIndex(of: UInt8(ascii: ":")) else {
                throw .badHeader("line without ':'")
            }
            let name = trimmed(bytes[line.lowerBound..<colon])
            guard !name.isEmpty, name.allSatisfy(SIPText.isTokenByte) else { throw .badHeader("bad header name") }
            current = (string(name), string(trimmed(bytes[(colon + 1)..<line.upperBound])))
        }
        if let c = current { add(c.name, c.value) }

        let body = try frameBody(bytes, from: bodyStart!, declared: contentLengths, framing: framing, limits: limits)
        let consumed = bodyStart! + body.count
        let startLine = bytes[first]
        let message: SIPMessage
        if startLine.starts(with: "SIP/".utf8) {
            message = .response(try parseStatusLine(startLine, headers: headers, body: Array(body)))
        } else {
            message = .request(try parseRequestLine(startLine, headers: headers, body: Array(body)))
        }
        return (message, consumed)
    }

    private static func frameBody(_ bytes: [UInt8], from start: Int, declared: [String], framing: Framing,
                                  limits: Limits) throws(SIPParseError) -> ArraySlice<UInt8> {
        guard declared.count <= 1 else { throw .badContentLength("more than one Content-Length") }
        let available = bytes.count - start
        guard let text = declared.first else {
            guard framing == .datagram else { throw .badContentLength("missing on a stream transport") }
            guard available <= limits.body else { throw .tooLarge("body over \(limits.body) bytes") }
            return bytes[start...]
        }
        guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }), text.count <= 9, let length = Int(text) else {
            throw .badContentLength("'\(text.prefix(20))' is not a length")
        }
        guard length <= limits.body else { throw .tooLarge("body over \(limits.body) bytes") }
        if length > available {
            guard framing == .stream else { throw .badContentLength("\(length) is more than the datagram holds") }
            throw .incomplete
        }
        return bytes[start..<start + length]
    }

    private static func parseRequestLine(_ line: ArraySlice<UInt8>, headers: SIPHeaders, body: [UInt8])
        throws(SIPParseError) -> SIPRequest {
        // Method SP Request-URI SP SIP-Version, single spaces (RFC 3261 §7.1).
        let parts = line.split(separator: sp, omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw .badStartLine("request line is not 'METHOD URI SIP/2.0'")
        }
        guard parts[0].allSatisfy(SIPText.isTokenByte) else { throw .badStartLine("bad method") }
        try checkVersion(parts[2])
        let uri = try SIPURI(parsing: string(parts[1]))
        return SIPRequest(method: SIPMethod(string(parts[0])), uri: uri, headers: headers, body: body)
    }

    private static func parseStatusLine(_ line: ArraySlice<UInt8>, headers: SIPHeaders, body: [UInt8])
        throws(SIPParseError) -> SIPResponse {
        let parts = line.split(separator: sp, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2 else { throw .badStartLine("status line without a code") }
        try checkVersion(parts[0])
        guard parts[1].count == 3, parts[1].allSatisfy({ (48...57).contains($0) }), let code = Int(string(parts[1])),
              code >= 100 else { throw .badStartLine("bad status code") }
        return SIPResponse(statusCode: code, reason: parts.count == 3 ? string(parts[2]) : "", headers: headers, body: body)
    }

    private static let version = Array("sip/2.0".utf8)

    private static func checkVersion(_ v: ArraySlice<UInt8>) throws(SIPParseError) {
        // Compared as bytes, case-insensitively: no string on the good path.
        if v.count == version.count, zip(v, version).allSatisfy({ SIPHeaders.lower($0) == $1 }) { return }
        let text = string(v)
        if text.uppercased().hasPrefix("SIP/") { throw .unsupportedVersion(text) }
        throw .badStartLine("bad SIP version '\(text.prefix(20))'")
    }

    private static func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var lo = s.startIndex, hi = s.endIndex
        while lo < hi, s[lo] == sp || s[lo] == tab { lo += 1 }
        while hi > lo, s[hi - 1] == sp || s[hi - 1] == tab { hi -= 1 }
        return s[lo..<hi]
    }

    private static func string(_ s: ArraySlice<UInt8>) -> String { String(decoding: s, as: UTF8.self) }
}

extension SIPMessage {
    /// The wire form. Content-Length is written last, from the body's real length.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        let headers: SIPHeaders
        let body: [UInt8]
        switch self {
        case .request(let r):
            out += r.method.name.utf8
            out.append(UInt8(ascii: " "))
            out += r.uri.description.utf8
            out += " SIP/2.0\r\n".utf8
            headers = r.headers
            body = r.body
        case .response(let r):
            out += "SIP/2.0 ".utf8
            appendDecimal(r.statusCode, to: &out)
            out.append(UInt8(ascii: " "))
            out += r.reason.utf8
            out += "\r\n".utf8
            headers = r.headers
            body = r.body
        }
        for f in headers where !SIPHeaders.sameName(f.name, "Content-Length") {
            out += f.name.utf8
            out += ": ".utf8
            out += f.value.utf8
            out += "\r\n".utf8
        }
        out += "Content-Length: ".utf8
        appendDecimal(body.count, to: &out)
        out += "\r\n\r\n".utf8
        out += body
        return out
    }

    /// A number's digits: a string this short lives inline, so nothing is allocated.
    private func appendDecimal(_ n: Int, to out: inout [UInt8]) { out += String(n).utf8 }
}
