/// A message from the gateway to a browser (docs/SIGNALING.md, "Gateway ->
/// client"). The WebSocket sends `object` as JSON; the long-poll transport
/// translates it into Genesys words (`GenesysDialect`) or wraps it in `JSON`.
public enum ServerEvent: Equatable, Sendable {
    case signedIn(user: String, session: String)
    case signedOut(reason: String)
    /// The gateway's answer to the browser's offer.
    case sdp(call: String, sdp: String)
    /// A call for the user rings. `data`: what the INVITE carried as attached data; `offer`: our SDP offer,
    /// for a client that answers offers (nil: the client answers by offering).
    case incoming(call: String, from: String, fromName: String?, data: [String: String] = [:], offer: String? = nil)
    case progress(call: String, code: Int, reason: String, earlyMedia: Bool)
    case answered(call: String)
    case held(call: String, by: Side)
    case resumed(call: String, by: Side)
    case dtmf(call: String, digit: String)
    case info(call: String, content: [String: JSONValue], map: Bool)
    /// The gateway's media statistics of a call, asked for by `stats`.
    case stats(call: String, statistics: [String: JSONValue])
    /// `code` is the SIP status (0 when the browser's side ended the call).
    /// `quality`: how the media arrived on each leg (loss, jitter, round trip, MOS), when there was any.
    case ended(call: String, code: Int, reason: String, cause: EndCause, quality: [String: JSONValue]? = nil)
    /// A refresh REGISTER failed; the gateway keeps trying.
    case registrationLost(code: Int, reason: String)
    case error(SignalingError)
    case pong

    /// Who held or resumed a call: the browser (`local`) or the SIP side.
    public enum Side: String, Sendable { case local, remote }

    /// The call the event is about, if any.
    public var call: String? {
        switch self {
        case .sdp(let call, _), .incoming(let call, _, _, _, _), .progress(let call, _, _, _), .answered(let call),
             .held(let call, _), .resumed(let call, _), .dtmf(let call, _), .info(let call, _, _), .stats(let call, _),
             .ended(let call, _, _, _, _):
            call
        case .error(let error): error.call
        case .signedIn, .signedOut, .registrationLost, .pong: nil
        }
    }

    /// The event as the WebSocket protocol's JSON object.
    public var object: [String: JSONValue] {
        switch self {
        case .signedIn(let user, let session):
            return ["type": "signed-in", "user": .string(user), "session": .string(session)]
        case .signedOut(let reason):
            return ["type": "signed-out", "reason": .string(reason)]
        case .sdp(let call, let sdp):
            return ["type": "sdp", "call": .string(call), "sdp": .string(sdp)]
        case .incoming(let call, let from, let fromName, let data, _):
            var m: [String: JSONValue] = ["type": "incoming", "call": .string(call), "from": .string(from)]
            m["fromName"] = fromName.map(JSONValue.string)
            if !data.isEmpty { m["data"] = .object(data.mapValues(JSONValue.string)) }
            return m
        case .progress(let call, let code, let reason, let earlyMedia):
            return ["type": "progress", "call": .string(call), "code": .integer(code), "reason": .string(reason),
                    "earlyMedia": .bool(earlyMedia)]
        case .answered(let call):
            return ["type": "answered", "call": .string(call)]
        case .held(let call, let by):
            return ["type": "held", "call": .string(call), "by": .string(by.rawValue)]
        case .resumed(let call, let by):
            return ["type": "resumed", "call": .string(call), "by": .string(by.rawValue)]
        case .dtmf(let call, let digit):
            return ["type": "dtmf", "call": .string(call), "digit": .string(digit)]
        case .info(let call, let content, let map):
            return ["type": "info", "call": .string(call), "content": .object(content), "map": .bool(map)]
        case .stats(let call, let statistics):
            return ["type": "stats", "call": .string(call), "statistics": .object(statistics)]
        case .ended(let call, let code, let reason, let cause, let quality):
            var object: [String: JSONValue] = ["type": "ended", "call": .string(call), "code": .integer(code),
                                               "reason": .string(reason), "cause": .string(cause.rawValue)]
            if let quality { object["quality"] = .object(quality) }
            return object
        case .registrationLost(let code, let reason):
            return ["type": "registration", "state": "lost", "code": .integer(code), "reason": .string(reason)]
        case .error(let error):
            return error.object
        case .pong:
            return ["type": "pong"]
        }
    }

    /// The event as one line of JSON (a WebSocket text frame).
    public var json: String { JSONValue.object(object).jsonText }
}

/// A request refused: what the client's library raises as an error.
public struct SignalingError: Error, Equatable, Sendable {
    public var code: Code
    public var message: String
    /// The call the refused request was about.
    public var call: String?
    /// The type of the refused request.
    public var request: String?

    public init(_ code: Code, _ message: String, call: String? = nil, request: String? = nil) {
        self.code = code
        self.message = message
        self.call = call
        self.request = request
    }

    public enum Code: String, Sendable, CaseIterable {
        case badMessage = "bad-message", notSignedIn = "not-signed-in", badState = "bad-state"
        case badUser = "bad-user", badPassword = "bad-password", inUse = "in-use"
        case wrongPassword = "wrong-password", unknownUser = "unknown-user", serverUnreachable = "server-unreachable"
        case tooManyAttempts = "too-many-attempts", registrationFailed = "registration-failed"
        case anonymousDisabled = "anonymous-disabled"
        case badNumber = "bad-number", badSDP = "bad-sdp", noMediaPort = "no-media-port"
        case tooManyCalls = "too-many-calls", noSuchCall = "no-such-call", forbidden
        case badDTMF = "bad-dtmf", tooLarge = "too-large", holdFailed = "hold-failed", resumeFailed = "resume-failed"
        case serverFull = "server-full", tooManySessions = "too-many-sessions"
        /// The gateway is shutting down: it takes no new sessions or calls (another instance will).
        case draining
    }

    var object: [String: JSONValue] {
        var m: [String: JSONValue] = ["type": "error", "code": .string(code.rawValue), "message": .string(message)]
        m["call"] = call.map(JSONValue.string)
        m["request"] = request.map(JSONValue.string)
        return m
    }
}
