/// A SIP method (RFC 3261 §7.1): a token, compared case-sensitively. The
/// methods this stack speaks are constants; others (SUBSCRIBE, REFER, ...)
/// arrive and are answered 405 by the endpoint.
public struct SIPMethod: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let name: String

    public init(_ name: some StringProtocol) { self.name = String(name) }
    public init(stringLiteral name: String) { self.name = name }

    public var description: String { name }

    public static let invite: SIPMethod = "INVITE"
    public static let ack: SIPMethod = "ACK"
    public static let bye: SIPMethod = "BYE"
    public static let cancel: SIPMethod = "CANCEL"
    public static let options: SIPMethod = "OPTIONS"
    public static let register: SIPMethod = "REGISTER"
    public static let info: SIPMethod = "INFO"
    public static let update: SIPMethod = "UPDATE"
}
