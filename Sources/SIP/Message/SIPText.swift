/// Lexical rules of RFC 3261 §25.1 shared by the parsers.
enum SIPText {
    /// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
    @inline(__always) static func isTokenByte(_ b: UInt8) -> Bool { tokenTable[Int(b)] }

    private static let tokenTable: [Bool] = (0..<256).map { b in
        switch UInt8(b) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "-.!%*_+`'~".utf8.contains(UInt8(b))
        }
    }

    static func isToken(_ s: Substring) -> Bool { !s.isEmpty && s.utf8.allSatisfy(isTokenByte) }
    static func isToken(_ s: String) -> Bool { isToken(Substring(s)) }

    static func isWhitespace(_ c: Character) -> Bool { c == " " || c == "\t" }

    static func trim(_ s: Substring) -> Substring {
        var t = s
        while let f = t.first, isWhitespace(f) { t = t.dropFirst() }
        while let l = t.last, isWhitespace(l) { t = t.dropLast() }
        return t
    }

    /// Splits a header value at commas that are outside quoted strings and <...>.
    static func splitCommas(_ value: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var inQuotes = false, inAngle = false, escaped = false
        for c in value {
            if escaped { escaped = false; current.append(c); continue }
            if inQuotes && c == "\\" { escaped = true; current.append(c); continue }
            if c == "\"" { inQuotes.toggle() }
            else if !inQuotes && c == "<" { inAngle = true }
            else if !inQuotes && c == ">" { inAngle = false }
            if c == "," && !inQuotes && !inAngle {
                parts.append(String(trim(Substring(current))))
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(String(trim(Substring(current))))
        return parts.filter { !$0.isEmpty }
    }

    /// Parses `;name[=value]` parameters (values may be quoted strings).
    static func parameters(_ text: Substring) throws(SIPParseError) -> [SIPParameter] {
        var params: [SIPParameter] = []
        var rest = text
        while !rest.isEmpty {
            rest = trim(rest)
            guard rest.first == ";" else { throw .badHeader("expected ';' before a parameter") }
            rest = trim(rest.dropFirst())
            let end = scanParameterEnd(rest)
            let item = rest[..<end]
            rest = rest[end...]
            let kv = item.split(separator: "=", maxSplits: 1)
            let name = trim(kv.first ?? "")
            guard isToken(name) else { throw .badHeader("bad parameter name '\(name)'") }
            var value: String?
            if kv.count == 2 {
                let v = trim(kv[1])
                if v.first == "\"" {
                    guard v.count >= 2, v.last == "\"" else { throw .badHeader("unterminated quoted parameter") }
                    value = String(v)
                } else {
                    guard !v.isEmpty, v.utf8.allSatisfy({ isTokenByte($0) || "[]:".utf8.contains($0) }) else {
                        throw .badHeader("bad value of parameter \(name)")
                    }
                    value = String(v)
                }
            }
            params.append(SIPParameter(name: String(name), value: value))
        }
        return params
    }

    /// The end of one parameter: the next ';' outside a quoted string.
    private static func scanParameterEnd(_ s: Substring) -> Substring.Index {
        firstIndex(of: ";", outsideQuotesIn: s) ?? s.endIndex
    }

    /// The first `target` that is not inside a quoted string (with \-escapes).
    static func firstIndex(of target: Character, outsideQuotesIn s: Substring) -> Substring.Index? {
        var inQuotes = false, escaped = false
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if escaped { escaped = false } else if inQuotes && c == "\\" { escaped = true } else if c == "\"" {
                inQuotes.toggle()
            } else if c == target && !inQuotes {
                return i
            }
            i = s.index(after: i)
        }
        return nil
    }
}

public struct SIPParameter: Equatable, Sendable {
    public var name: String
    public var value: String?
    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }
    var text: String { value.map { ";\(name)=\($0)" } ?? ";\(name)" }
}

extension Array where Element == SIPParameter {
    /// A parameter's value by case-insensitive name; "" for a flag without a value.
    public func value(_ name: String) -> String? {
        guard let p = first(where: { $0.name.lowercased() == name.lowercased() }) else { return nil }
        return p.value ?? ""
    }

    public func has(_ name: String) -> Bool { contains { $0.name.lowercased() == name.lowercased() } }
}

extension Substring {
    /// Without the spaces and tabs at either end (header values, body lines).
    public func trimmingCharacters() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
