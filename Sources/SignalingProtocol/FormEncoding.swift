import WireInput

/// Form encoding (application/x-www-form-urlencoded): a request's query, a
/// long-poll message's form body, a SIP INFO's form payload. Anything a client
/// writes reads: a pair without `=` is a name with an empty value, an empty
/// name is dropped, malformed escapes stay as written, and the number of pairs
/// is bounded.
public enum FormEncoding {
    public static let maxPairs = 32

    /// `a=1&b=x+y` (a query, or a form-encoded body), decoded; a field without
    /// `=` has an empty value, one without a name is dropped, at most
    /// `maxPairs` are read.
    public static func fields(_ text: some StringProtocol) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&").prefix(maxPairs) {
            let (name, value) = pair.splitOnce("=")
            let key = percentDecoded(name)
            guard !key.isEmpty else { continue }
            fields[key] = value.map { percentDecoded($0) } ?? ""
        }
        return fields
    }

    /// Fields form-encoded (application/x-www-form-urlencoded, as jQuery's
    /// `$.param` writes them: spaces as `+`), sorted by name; a field without
    /// a name is left out (no reader keeps one).
    public static func encoded(_ fields: [String: JSONValue]) -> String {
        fields.filter { !$0.key.isEmpty }.sorted { $0.key < $1.key }.map { "\(formEscaped($0.key))=\(formEscaped($0.value.formText))" }
            .joined(separator: "&")
    }

    /// Everything but the unreserved characters percent-encoded (RFC 3986), spaces as `+`.
    private static func formEscaped(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent- and `+`-decoding (form encoding) that leaves malformed escapes as they are.
    public static func percentDecoded(_ text: some StringProtocol) -> String {
        var out: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%"), let high = bytes[ifPresent: bytes.startIndex].flatMap(hexValue),
               let low = bytes[ifPresent: bytes.startIndex + 1].flatMap(hexValue) {
                out.append(high << 4 | low)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
