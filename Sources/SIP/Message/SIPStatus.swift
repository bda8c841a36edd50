/// A SIP response status (RFC 3261 §21): its code, and the reason phrase
/// this stack sends with it, from one table. A response that came in keeps
/// the phrase it carried (`SIPResponse.reason`).
public struct SIPStatus: Hashable, Sendable, CustomStringConvertible {
    public let code: Int

    public init(_ code: Int) { self.code = code }

    public var description: String { "\(code) \(reasonPhrase)" }

    public var isProvisional: Bool { code < 200 }
    public var isSuccess: Bool { (200..<300).contains(code) }

    /// The reason phrase of RFC 3261 §21 (and RFC 4028 for 422), or the class's for a code not in the table.
    public var reasonPhrase: String {
        if let phrase = Self.phrases[code] { return phrase }
        return switch code {
        case ..<200: "Provisional"
        case ..<300: "Success"
        case ..<400: "Redirection"
        case ..<500: "Client Error"
        case ..<600: "Server Error"
        default: "Global Failure"
        }
    }

    private static let phrases: [Int: String] = [
        100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued", 183: "Session Progress",
        200: "OK", 202: "Accepted",
        300: "Multiple Choices", 301: "Moved Permanently", 302: "Moved Temporarily", 305: "Use Proxy", 380: "Alternative Service",
        400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
        405: "Method Not Allowed", 406: "Not Acceptable", 407: "Proxy Authentication Required", 408: "Request Timeout",
        410: "Gone", 413: "Request Entity Too Large", 414: "Request-URI Too Long", 415: "Unsupported Media Type",
        416: "Unsupported URI Scheme", 420: "Bad Extension", 421: "Extension Required", 422: "Session Interval Too Small",
        423: "Interval Too Brief", 480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist",
        482: "Loop Detected", 483: "Too Many Hops", 484: "Address Incomplete", 485: "Ambiguous", 486: "Busy Here",
        487: "Request Terminated", 488: "Not Acceptable Here", 491: "Request Pending", 493: "Undecipherable",
        500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
        504: "Server Time-out", 505: "Version Not Supported", 513: "Message Too Large",
        600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere", 606: "Not Acceptable",
    ]

    public static let trying = SIPStatus(100)
    public static let ringing = SIPStatus(180)
    public static let ok = SIPStatus(200)
    public static let badRequest = SIPStatus(400)
    public static let unauthorized = SIPStatus(401)
    public static let forbidden = SIPStatus(403)
    public static let notFound = SIPStatus(404)
    public static let methodNotAllowed = SIPStatus(405)
    public static let notAcceptable = SIPStatus(406)
    public static let proxyAuthenticationRequired = SIPStatus(407)
    public static let requestTimeout = SIPStatus(408)
    public static let unsupportedMediaType = SIPStatus(415)
    public static let unsupportedURIScheme = SIPStatus(416)
    public static let badExtension = SIPStatus(420)
    public static let sessionIntervalTooSmall = SIPStatus(422)
    public static let intervalTooBrief = SIPStatus(423)
    public static let temporarilyUnavailable = SIPStatus(480)
    public static let callDoesNotExist = SIPStatus(481)
    public static let loopDetected = SIPStatus(482)
    public static let tooManyHops = SIPStatus(483)
    public static let busyHere = SIPStatus(486)
    public static let requestTerminated = SIPStatus(487)
    public static let notAcceptableHere = SIPStatus(488)
    public static let requestPending = SIPStatus(491)
    public static let serverInternalError = SIPStatus(500)
    public static let notImplemented = SIPStatus(501)
    public static let badGateway = SIPStatus(502)
    public static let serviceUnavailable = SIPStatus(503)
    public static let versionNotSupported = SIPStatus(505)
    public static let messageTooLarge = SIPStatus(513)
    public static let decline = SIPStatus(603)
}

extension SIPResponse {
    public var status: SIPStatus { SIPStatus(statusCode) }

    /// A response with the table's reason phrase unless one is given.
    public init(_ status: SIPStatus, reason: String? = nil, headers: SIPHeaders = SIPHeaders(), body: [UInt8] = []) {
        self.init(statusCode: status.code, reason: reason ?? status.reasonPhrase, headers: headers, body: body)
    }
}
