import WireInput

/// Parses SDP text (RFC 8866 §5). Strict on the structure the gateway relies
/// on (v, o, s, t, m lines and their syntax), lenient on what it carries
/// through (unknown attributes and lines are kept, not rejected).
public enum SDPParser {
    public static let maxLength = 64 * 1024
    public static let maxLines = 2048

    public static func parse(_ text: String) throws(SDPError) -> SessionDescription {
        guard text.utf8.count <= maxLength else { throw .tooLarge(limit: maxLength) }
        var lines = text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        lines.removeAll { $0.isEmpty }
        guard lines.count <= maxLines else { throw .tooLarge(limit: maxLength) }

        var version: String?
        var origin: Origin?
        var sessionName: String?
        var timing: String?
        var connection: Connection?
        var otherLines: [Line] = []
        var attributes: [Attribute] = []
        var media: [MediaDescription] = []

        for (index, raw) in lines.enumerated() {
            let number = index + 1
            let chars = Array(raw.prefix(2))
            guard chars.count == 2, chars[1] == "=", chars[0].isASCII, chars[0].isLetter else {
                throw .malformedLine(number: number, reason: "not <type>=<value>")
            }
            // RFC 8866 §9: no CR, LF or NUL inside a line.
            guard !raw.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\0" }) else {
                throw .malformedLine(number: number, reason: "control character inside the line")
            }
            let type = chars[0]
            let value = String(raw.dropFirst(2))
            if type == "m" {
                media.append(try parseMedia(value, number: number))
                continue
            }
            if var current = media.popLast() {
                switch type {
                case "a": current.attributes.append(parseAttribute(value))
                case "c": current.connection = try parseConnection(value, number: number)
                default: current.otherLines.append(Line(type: type, value: value))
                }
                media.append(current)
                continue
            }
            switch type {
            case "v": version = value
            case "o": origin = try parseOrigin(value, number: number)
            case "s": sessionName = value
            case "t": timing = value
            case "c": connection = try parseConnection(value, number: number)
            case "a": attributes.append(parseAttribute(value))
            default: otherLines.append(Line(type: type, value: value))
            }
        }
        guard let version else { throw .missingLine("v") }
        guard version == "0" else { throw .unsupportedVersion(version) }
        guard let origin else { throw .missingLine("o") }
        return SessionDescription(origin: origin, sessionName: sessionName ?? "-", connection: connection,
                                  otherLines: otherLines, timing: timing ?? "0 0",
                                  attributes: attributes, media: media)
    }

    static func parseAttribute(_ value: String) -> Attribute {
        guard let colon = value.firstIndex(of: ":") else { return Attribute(value) }
        return Attribute(String(value[..<colon]), String(value[value.index(after: colon)...]))
    }

    private static func fields(_ value: String) -> [String] {
        value.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    private static func parseOrigin(_ value: String, number: Int) throws(SDPError) -> Origin {
        let f = fields(value)
        guard f.count == 6, let version = WireNumber.exact(f[2], as: UInt64.self) else {
            throw .malformedLine(number: number, reason: "o= needs six fields and a numeric version")
        }
        return Origin(username: f[0], sessionID: f[1], sessionVersion: version, networkType: f[3],
                      addressType: f[4], address: f[5])
    }

    private static func parseConnection(_ value: String, number: Int) throws(SDPError) -> Connection {
        let f = fields(value)
        guard f.count == 3 else { throw .malformedLine(number: number, reason: "c= needs three fields") }
        return Connection(networkType: f[0], addressType: f[1], address: f[2])
    }

    private static func parseMedia(_ value: String, number: Int) throws(SDPError) -> MediaDescription {
        let f = fields(value)
        guard f.count >= 3 else { throw .malformedLine(number: number, reason: "m= needs media, port and proto") }
        let (portText, countText) = f[1].splitOnce("/")
        guard let port = WireNumber.exact(portText, as: UInt16.self) else {
            throw .malformedLine(number: number, reason: "bad port \(f[1].prefix(20))")
        }
        var count: Int?
        if let countText {
            guard let n = WireNumber.exact(countText, as: UInt16.self), n > 0 else {
                throw .malformedLine(number: number, reason: "bad port count")
            }
            count = Int(n)
        }
        return MediaDescription(kind: f[0], port: port, portCount: count, proto: f[2], formats: Array(f.dropFirst(3)))
    }
}
