/// An SDP session description (RFC 8866). Lines the model does not name are
/// kept in order (`attributes`, `otherLines`) so that nothing unknown is lost.
public struct SessionDescription: Equatable, Sendable {
    public var origin: Origin
    public var sessionName: String
    public var connection: Connection?
    /// Session-level lines other than v, o, s, c, t, a, m (e.g. b=, i=, u=), in order.
    public var otherLines: [Line]
    public var timing: String
    public var attributes: [Attribute]
    public var media: [MediaDescription]

    public init(origin: Origin, sessionName: String = "-", connection: Connection? = nil,
                otherLines: [Line] = [], timing: String = "0 0", attributes: [Attribute] = [],
                media: [MediaDescription] = []) {
        self.origin = origin
        self.sessionName = sessionName
        self.connection = connection
        self.otherLines = otherLines
        self.timing = timing
        self.attributes = attributes
        self.media = media
    }
}

/// A `type=value` line kept verbatim.
public struct Line: Equatable, Sendable {
    public var type: Character
    public var value: String
    public init(type: Character, value: String) {
        self.type = type
        self.value = value
    }
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
public struct Origin: Equatable, Sendable {
    public var username: String
    public var sessionID: String
    public var sessionVersion: UInt64
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(username: String = "-", sessionID: String, sessionVersion: UInt64,
                networkType: String = "IN", addressType: String = "IP4", address: String = "127.0.0.1") {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }
}

/// `c=<nettype> <addrtype> <connection-address>`
public struct Connection: Equatable, Sendable {
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(networkType: String = "IN", addressType: String = "IP4", address: String) {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }
}

/// `a=<name>[:<value>]`
public struct Attribute: Equatable, Sendable {
    public var name: String
    public var value: String?

    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }
}

/// `m=<media> <port>[/<number>] <proto> <fmt> ...` and the lines under it.
public struct MediaDescription: Equatable, Sendable {
    public var kind: String
    public var port: UInt16
    public var portCount: Int?
    public var proto: String
    public var formats: [String]
    public var connection: Connection?
    /// Media-level lines other than c and a (i=, b=, k=), in order.
    public var otherLines: [Line]
    public var attributes: [Attribute]

    public init(kind: String, port: UInt16, portCount: Int? = nil, proto: String, formats: [String],
                connection: Connection? = nil, otherLines: [Line] = [], attributes: [Attribute] = []) {
        self.kind = kind
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.connection = connection
        self.otherLines = otherLines
        self.attributes = attributes
    }
}
