/// A SIP message (RFC 3261 §7): a request or a response, its header fields
/// in order, and its body.
public enum SIPMessage: Equatable, Sendable {
    case request(SIPRequest)
    case response(SIPResponse)

    public var headers: SIPHeaders {
        get {
            switch self {
            case .request(let r): r.headers
            case .response(let r): r.headers
            }
        }
        set {
            switch self {
            case .request(var r): r.headers = newValue; self = .request(r)
            case .response(var r): r.headers = newValue; self = .response(r)
            }
        }
    }
}

public struct SIPRequest: Equatable, Sendable {
    public var method: SIPMethod
    public var uri: SIPURI
    public var headers: SIPHeaders
    public var body: [UInt8]

    public init(method: SIPMethod, uri: SIPURI, headers: SIPHeaders = SIPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }
}

public struct SIPResponse: Equatable, Sendable {
    public var statusCode: Int
    public var reason: String
    public var headers: SIPHeaders
    public var body: [UInt8]

    public init(statusCode: Int, reason: String, headers: SIPHeaders = SIPHeaders(), body: [UInt8] = []) {
        self.statusCode = statusCode
        self.reason = reason
        self.headers = headers
        self.body = body
    }
}

/// Why a message could not be parsed. The `reason` goes into a 400's reason phrase.
public enum SIPParseError: Error, Equatable, Sendable {
    case incomplete                 // a stream needs more bytes
    case tooLarge(String)
    case badStartLine(String)
    case unsupportedVersion(String) // answered with 505
    case badHeader(String)
    case badURI(String)
    case badContentLength(String)

    public var reason: String {
        switch self {
        case .incomplete: "Incomplete Message"
        case .tooLarge(let w): "Message Too Large (\(w))"
        case .badStartLine(let w): "Bad Start Line (\(w))"
        case .unsupportedVersion(let v): "Version Not Supported (\(v))"
        case .badHeader(let w): "Bad Header (\(w))"
        case .badURI(let w): "Bad Request-URI (\(w))"
        case .badContentLength(let w): "Bad Content-Length (\(w))"
        }
    }
}
