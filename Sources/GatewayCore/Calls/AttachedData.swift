import SIP

/// The data a browser attaches to the call it places (the Genesys
/// `attacheddata`), carried to the INVITE as headers named with a prefix
/// (`X-Genesys-Name: Yong`), and the data an incoming INVITE carries that way
/// back to the browser. What goes into a SIP header is checked here: no
/// CR or LF (header injection), names of token characters, bounded in number
/// and size; what comes from one is held to the same rule.
enum AttachedData {
    static let maxItems = 16
    static let maxKey = 64
    static let maxValue = 256
    static let rule = "attached data: at most \(maxItems) items, keys of letters, digits, - _ . (at most \(maxKey)), "
        + "values of printable text (at most \(maxValue) bytes)"

    /// The headers for `data`, sorted by key; nil when any item breaks the rule.
    static func headers(_ data: [String: String], prefix: String) -> [(String, String)]? {
        guard data.count <= maxItems else { return nil }
        var headers: [(String, String)] = []
        for (key, value) in data.sorted(by: { $0.key < $1.key }) {
            guard (1...maxKey).contains(key.utf8.count), key.utf8.allSatisfy(isKeyByte),
                  value.utf8.count <= maxValue, value.unicodeScalars.allSatisfy(isPrintable) else { return nil }
            headers.append((prefix + key, value))
        }
        return headers
    }

    /// The data in `headers` named with `prefix` (case-insensitive); items that break the rule are left out,
    /// and so is what is beyond `maxItems`.
    static func data(_ headers: SIPHeaders, prefix: String) -> [String: String] {
        var data: [String: String] = [:]
        for field in headers where data.count < maxItems {
            guard field.name.count > prefix.count, field.name.lowercased().hasPrefix(prefix.lowercased()) else { continue }
            let key = String(field.name.dropFirst(prefix.count))
            guard key.utf8.count <= maxKey, key.utf8.allSatisfy(isKeyByte), field.value.utf8.count <= maxValue,
                  field.value.unicodeScalars.allSatisfy(isPrintable) else { continue }
            data[key] = field.value
        }
        return data
    }

    private static func isKeyByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."): true
        default: false
        }
    }

    /// Text a header value may hold (RFC 3261 TEXT-UTF8: no control characters).
    private static func isPrintable(_ c: Unicode.Scalar) -> Bool { c.value >= 0x20 && c.value != 0x7F }
}
