/// A From, To, Contact, Route or Record-Route value (RFC 3261 §20.10):
/// `"Display" <uri>;params`, `Display Words <uri>;params` or `uri;params`.
public struct NameAddress: Equatable, Sendable, CustomStringConvertible {
    public var displayName: String?     // as written (quoted or tokens)
    public var uri: SIPURI
    public var parameters: [SIPParameter]

    public init(displayName: String? = nil, uri: SIPURI, parameters: [SIPParameter] = []) {
        self.displayName = displayName
        self.uri = uri
        self.parameters = parameters
    }

    public var tag: String? { parameters.value("tag") }

    /// The display name as a person reads it: a quoted-string without its
    /// quotes and backslash escapes (§25.1), tokens as written; nil when empty.
    public var displayText: String? {
        guard let name = displayName, !name.isEmpty else { return nil }
        guard name.first == "\"", name.count >= 2 else { return name }
        var text = "", escaped = false
        for c in name.dropFirst().dropLast() {
            if !escaped && c == "\\" { escaped = true; continue }
            escaped = false
            text.append(c)
        }
        return text.isEmpty ? nil : text
    }

    public init(parsing text: some StringProtocol) throws(SIPParseError) {
        let s = SIPText.trim(Substring(text))
        if let open = SIPText.firstIndex(of: "<", outsideQuotesIn: s) {
            let display = SIPText.trim(s[..<open])
            guard let close = s[open...].firstIndex(of: ">") else { throw .badHeader("no '>' after '<'") }
            if display.isEmpty {
                displayName = nil
            } else if display.first == "\"" {
                guard display.count >= 2, display.last == "\"", Self.validQuoted(display) else {
                    throw .badHeader("bad quoted display name")
                }
                displayName = String(display)
            } else {
                // display-name = *(token LWS): no quotes, commas or other separators
                guard display.split(whereSeparator: SIPText.isWhitespace).allSatisfy({ SIPText.isToken($0) }) else {
                    throw .badHeader("display name with characters that need quoting")
                }
                displayName = String(display)
            }
            uri = try SIPURI(parsing: s[s.index(after: open)..<close])
            parameters = try SIPText.parameters(s[s.index(after: close)...])
        } else {
            // addr-spec: the URI cannot hold ';', ',' or '?' here (they would be the header's).
            guard !s.contains("\""), !s.contains("<") else { throw .badHeader("unbalanced quote or bracket") }
            let end = s.firstIndex(of: ";") ?? s.endIndex
            let spec = SIPText.trim(s[..<end])
            guard !spec.contains("?"), !spec.contains(",") else { throw .badHeader("URI with '?' or ',' outside <>") }
            displayName = nil
            uri = try SIPURI(parsing: spec)
            parameters = try SIPText.parameters(s[end...])
        }
    }

    private static func validQuoted(_ s: Substring) -> Bool {
        var escaped = false
        for c in s.dropFirst().dropLast() {
            if escaped { escaped = false; continue }
            if c == "\\" { escaped = true } else if c == "\"" { return false }
        }
        return !escaped
    }

    public var description: String {
        let name = displayName.map { "\($0) " } ?? ""
        return "\(name)<\(uri)>" + parameters.map(\.text).joined()
    }
}
