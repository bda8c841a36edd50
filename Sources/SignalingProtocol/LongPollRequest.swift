import WireInput

/// What a long-poll HTTP request asks (docs/SIGNALING.md), read from its
/// method, path, query and body: the routes act on this value only. Any
/// request parses to a request, to a refusal, or to nil (not a long-poll route).
public enum LongPollRequest: Equatable, Sendable {
    /// `GET /sign_in?ID` (no password: anonymous) or `POST /sign_in` with `ID:PASSWORD`;
    /// `json` asks for the JSON dialect (this gateway's library) instead of the Genesys words.
    case signIn(user: String, password: String?, json: Bool)
    /// `GET /wait?id=SSID[&ack=N]`.
    case wait(session: String, ack: UInt64?)
    /// `POST /message?from=SSID&to=PEER` with one message word.
    case message(session: String, peer: String, LongPollMessage)
    /// `GET|POST /sign_out?id=SSID`.
    case signOut(session: String)

    /// Why a long-poll request was refused; `code` is the `error=` the client reads.
    public enum Refusal: Error, Equatable, Sendable {
        case noUser, noCredentials, noSession
        case badMessage(LongPollMessage.ParseError)

        public var code: String {
            switch self {
            case .noUser: "bad-user"
            case .noCredentials: "bad-request"
            case .noSession: "no-session"
            case .badMessage: "bad-message"
            }
        }

        public var message: String {
            switch self {
            case .noUser: "GET /sign_in?ID"
            case .noCredentials: "the body is ID:PASSWORD"
            case .noSession: "no such session"
            case .badMessage(let error): error.description
            }
        }
    }

    /// The long-poll paths (what cross-origin web apps call).
    public static let paths: Set<String> = ["/sign_in", "/wait", "/message", "/sign_out"]

    /// nil when the method and path are no long-poll route.
    public static func parse(method: String, path: String, query: [String: String],
                             body: [UInt8]) -> Result<LongPollRequest, Refusal>? {
        switch (method, path) {
        case ("GET", "/sign_in"):
            // The ID is the query's name without a value; of several, the first in order, whatever the query's order.
            guard let user = query.filter({ $0.key != "json" && $0.value.isEmpty }).keys.min() else { return .failure(.noUser) }
            return .success(.signIn(user: user, password: nil, json: query["json"] != nil))
        case ("POST", "/sign_in"):
            let text = String(decoding: body, as: UTF8.self).trimmingASCIIWhitespace
            let (user, password) = text.splitOnce(":")
            guard let password else { return .failure(.noCredentials) }
            return .success(.signIn(user: String(user), password: String(password), json: query["json"] != nil))
        case ("GET", "/wait"):
            guard let id = query["id"] else { return .failure(.noSession) }
            return .success(.wait(session: id, ack: query["ack"].flatMap { UInt64($0) }))
        case ("POST", "/message"):
            guard let id = query["from"] else { return .failure(.noSession) }
            do { return .success(.message(session: id, peer: query["to"] ?? "", try LongPollMessage(parsing: body))) } catch {
                return .failure(.badMessage(error))
            }
        case ("GET", "/sign_out"), ("POST", "/sign_out"):
            guard let id = query["id"] else { return .failure(.noSession) }
            return .success(.signOut(session: id))
        default:
            return nil
        }
    }
}

private extension String {
    /// Without leading and trailing spaces, tabs, CRs and LFs (no Foundation in this module).
    var trimmingASCIIWhitespace: Substring {
        let space: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !space($0) }), let last = lastIndex(where: { !space($0) }) else { return "" }
        return self[first...last]
    }
}
