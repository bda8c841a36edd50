/// A message from a browser (docs/SIGNALING.md, "Client -> gateway"), as
/// the WebSocket carries it, or the long-poll word `JSON`. Fields keep what
/// the JSON held, typed; whether they make sense (a user name, a call id, an
/// offer) is the call model's to say, in the order its errors promise.
public enum ClientMessage: Equatable, Sendable {
    case signIn(user: String?, password: String?)
    case signOut
    case ping
    /// A request about one call, named by the id the message carried (nil: none, or not text).
    case call(id: String?, CallRequest)

    /// Why bytes are not a message.
    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case notAnObject, noType
        public var description: String {
            switch self {
            case .notAnObject: "a message is one JSON object of at most \(ClientMessage.maxLength) bytes"
            case .noType: "a message needs a type"
            }
        }
    }

    public static let maxLength = 64 * 1024

    /// One WebSocket text frame's payload.
    public init(decoding bytes: some Collection<UInt8>) throws(DecodeError) {
        guard bytes.count <= Self.maxLength, let object = JSONValue.object(parsing: bytes) else { throw .notAnObject }
        try self.init(object)
    }

    public init(_ m: [String: JSONValue]) throws(DecodeError) {
        guard let type = m["type"]?.string else { throw .noType }
        switch type {
        case "sign-in": self = .signIn(user: m["user"]?.string, password: m["password"]?.string)
        case "sign-out": self = .signOut
        case "ping": self = .ping
        default: self = .call(id: m["call"]?.string, CallRequest(type: type, m))
        }
    }

    /// The message's type word (errors name the request they refuse).
    public var type: String {
        switch self {
        case .signIn: "sign-in"
        case .signOut: "sign-out"
        case .ping: "ping"
        case .call(_, let request): request.type
        }
    }

    /// The message as JSON (what a client sends; the tests' and the fuzzer's side).
    public var object: [String: JSONValue] {
        switch self {
        case .signIn(let user, let password):
            var m: [String: JSONValue] = ["type": "sign-in"]
            m["user"] = user.map(JSONValue.string)
            m["password"] = password.map(JSONValue.string)
            return m
        case .signOut, .ping:
            return ["type": .string(type)]
        case .call(let id, let request):
            var m = request.fields
            m["type"] = .string(request.type)
            if let id { m["call"] = .string(id) }
            return m
        }
    }
}

/// What a client asks of one call.
public enum CallRequest: Equatable, Sendable {
    /// Place a call to `to` with the browser's offer; `data` rides on the INVITE as headers (the
    /// Genesys `attacheddata`).
    case place(to: String?, sdp: String?, data: [String: String] = [:])
    /// Answer a ringing call; `sdp` is the browser's offer (the browser always offers).
    case answer(sdp: String?)
    case reject
    case hangup
    case dtmf(digits: String)
    case hold
    case resume
    case info(content: [String: JSONValue], map: Bool)
    /// The gateway's media statistics of the call (answered with a `stats` event).
    case stats
    /// A new offer on the answered call's peer connection (to hold with `inactive` or
    /// `sendonly`, to resume with `sendrecv`): answered with an `sdp` event.
    case reoffer(sdp: String?)
    /// A trickled candidate: accepted and not needed (ICE-lite learns addresses from the checks).
    case candidate
    case unknown(type: String)

    init(type: String, _ m: [String: JSONValue]) {
        switch type {
        case "call": self = .place(to: m["to"]?.string, sdp: m["sdp"]?.string,
                                   data: (m["data"]?.object ?? [:]).compactMapValues { $0.string })
        case "answer": self = .answer(sdp: m["sdp"]?.string)
        case "reject": self = .reject
        case "hangup": self = .hangup
        case "dtmf": self = .dtmf(digits: m["digits"]?.string ?? "")
        case "hold": self = .hold
        case "resume": self = .resume
        case "info": self = .info(content: m["content"]?.object ?? [:], map: m["map"]?.bool ?? false)
        case "stats": self = .stats
        case "offer": self = .reoffer(sdp: m["sdp"]?.string)
        case "candidate": self = .candidate
        default: self = .unknown(type: type)
        }
    }

    public var type: String {
        switch self {
        case .place: "call"
        case .answer: "answer"
        case .reject: "reject"
        case .hangup: "hangup"
        case .dtmf: "dtmf"
        case .hold: "hold"
        case .resume: "resume"
        case .info: "info"
        case .stats: "stats"
        case .reoffer: "offer"
        case .candidate: "candidate"
        case .unknown(let type): type
        }
    }

    var fields: [String: JSONValue] {
        switch self {
        case .place(let to, let sdp, let data):
            var m: [String: JSONValue] = [:]
            m["to"] = to.map(JSONValue.string)
            m["sdp"] = sdp.map(JSONValue.string)
            if !data.isEmpty { m["data"] = .object(data.mapValues(JSONValue.string)) }
            return m
        case .answer(let sdp), .reoffer(let sdp): return sdp.map { ["sdp": .string($0)] } ?? [:]
        case .dtmf(let digits): return ["digits": .string(digits)]
        case .info(let content, let map): return ["content": .object(content), "map": .bool(map)]
        case .reject, .hangup, .hold, .resume, .stats, .candidate, .unknown: return [:]
        }
    }
}
