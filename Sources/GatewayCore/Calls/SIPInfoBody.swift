import SignalingProtocol
import SIP

/// The bodies of SIP INFO both ways: DTMF (application/dtmf-relay,
/// application/dtmf) and application content (a JSON object, or key/value
/// pairs form-encoded).
enum SIPInfoBody {
    /// The digit of an INFO with application/dtmf-relay (`Signal=5`) or application/dtmf (`5`).
    static func dtmfDigit(_ r: SIPRequest) -> String? {
        let text = String(decoding: r.body.prefix(256), as: UTF8.self)
        var value: Substring?
        switch mediaType(r) {
        case "application/dtmf-relay":
            value = text.split(whereSeparator: \.isNewline).first { $0.lowercased().hasPrefix("signal") }?
                .split(separator: "=", maxSplits: 1).last
        case "application/dtmf":
            value = Substring(text)
        default:
            return nil
        }
        guard let digit = value.map({ $0.trimmingCharacters() }), digit.count == 1,
              SignalingToken.isDTMF(digit) else { return nil }
        return digit
    }

    /// The content of an INFO as `body(for:map:)` makes it: a JSON object, or
    /// pairs form-encoded (`map`); nil for other bodies.
    static func content(_ r: SIPRequest) -> ([String: JSONValue], map: Bool)? {
        switch mediaType(r) {
        case "application/json":
            guard let object = JSONValue.object(parsing: r.body) else { return nil }
            return (object, false)
        case "application/x-www-form-urlencoded":
            return (FormEncoding.fields(String(decoding: r.body, as: UTF8.self)).mapValues(JSONValue.string), true)
        default:
            return nil
        }
    }

    /// Application content from the browser as an INFO body and its type:
    /// an INFO-MAP's pairs form-encoded (sorted by key), anything else as JSON.
    static func body(for content: [String: JSONValue], map: Bool) -> (body: [UInt8], contentType: String) {
        guard map else { return (Array(JSONValue.object(content).jsonText.utf8), "application/json") }
        return (Array(FormEncoding.encoded(content).utf8), "application/x-www-form-urlencoded")
    }

    static func dtmfRelay(_ digit: Character) -> [UInt8] { Array("Signal=\(digit)\r\nDuration=160\r\n".utf8) }

    /// The media type of a request's body, without parameters, in lower case.
    private static func mediaType(_ r: SIPRequest) -> String {
        r.headers["Content-Type"]?.split(separator: ";").first.map { $0.trimmingCharacters().lowercased() } ?? ""
    }
}
