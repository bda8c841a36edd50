extension SessionDescription {
    /// The SDP text, lines ending in CRLF (RFC 8866 §5).
    public var text: String {
        var out = "v=0\r\n"
        out += "o=\(origin.username) \(origin.sessionID) \(origin.sessionVersion) "
        out += "\(origin.networkType) \(origin.addressType) \(origin.address)\r\n"
        out += "s=\(sessionName)\r\n"
        for line in otherLines where line.type != "t" { out += "\(line.type)=\(line.value)\r\n" }
        if let connection { out += connection.line }
        out += "t=\(timing)\r\n"
        for a in attributes { out += a.line }
        for m in media { out += m.text }
        return out
    }
}

extension MediaDescription {
    public var text: String {
        var out = "m=\(kind) \(port)"
        if let portCount { out += "/\(portCount)" }
        out += " \(proto)"
        for f in formats { out += " \(f)" }
        out += "\r\n"
        for line in otherLines where line.type == "i" { out += "\(line.type)=\(line.value)\r\n" }
        if let connection { out += connection.line }
        for line in otherLines where line.type != "i" { out += "\(line.type)=\(line.value)\r\n" }
        for a in attributes { out += a.line }
        return out
    }
}

extension Connection {
    var line: String { "c=\(networkType) \(addressType) \(address)\r\n" }
}

extension Attribute {
    var line: String { value.map { "a=\(name):\($0)\r\n" } ?? "a=\(name)\r\n" }
}
