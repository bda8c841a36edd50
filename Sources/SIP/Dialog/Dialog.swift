/// A dialog (RFC 3261 §12): the state two user agents share for a call.
public struct Dialog: Equatable, Sendable {
    public var callID: String
    public var localTag: String
    public var remoteTag: String
    public var localURI: String         // our From (UAC) / To (UAS) value, without tag
    public var remoteURI: String
    public var remoteTarget: SIPURI     // the peer's Contact
    public var routeSet: [String]       // Record-Route, in the order requests use them
    public var localSeq: UInt32
    public var remoteSeq: UInt32?

    public var id: String { "\(callID)|\(localTag)|\(remoteTag)" }

    /// The id of the dialog a request sent to us belongs to: our tag is in its
    /// To, the peer's in its From. nil outside a dialog.
    public static func id(ofRequestToServer r: SIPRequest) -> String? {
        guard let callID = r.headers["Call-ID"],
              let local = r.headers.to?.tag,
              let remote = r.headers.from?.tag else { return nil }
        return "\(callID)|\(local)|\(remote)"
    }

    /// The dialog a UAS creates by answering `request` with a tag (§12.1.1).
    public static func asServer(request: SIPRequest, localTag: String) -> Dialog? {
        guard let from = request.headers.from, let remoteTag = from.tag,
              let to = request.headers.to,
              let callID = request.headers["Call-ID"],
              let cseq = request.headers.cseq,
              let contact = request.headers.contact else { return nil }
        var local = to
        local.parameters.removeAll { $0.name.lowercased() == "tag" }
        var remote = from
        remote.parameters.removeAll { $0.name.lowercased() == "tag" }
        return Dialog(callID: callID, localTag: localTag, remoteTag: remoteTag, localURI: local.description,
                      remoteURI: remote.description, remoteTarget: contact.uri,
                      routeSet: request.headers.values("Record-Route"), localSeq: UInt32.random(in: 1...10_000),
                      remoteSeq: cseq.number)
    }

    /// The dialog a UAC gets from a response with a To tag (§12.1.2).
    public static func asClient(request: SIPRequest, response: SIPResponse) -> Dialog? {
        guard let from = request.headers.from, let localTag = from.tag,
              let to = response.headers.to, let remoteTag = to.tag,
              let cseq = request.headers.cseq,
              let contact = response.headers.contact else { return nil }
        var local = from
        local.parameters.removeAll { $0.name.lowercased() == "tag" }
        var remote = to
        remote.parameters.removeAll { $0.name.lowercased() == "tag" }
        return Dialog(callID: request.headers["Call-ID"] ?? "", localTag: localTag, remoteTag: remoteTag,
                      localURI: local.description, remoteURI: remote.description, remoteTarget: contact.uri,
                      routeSet: response.headers.values("Record-Route").reversed(), localSeq: cseq.number, remoteSeq: nil)
    }

    /// A new request inside the dialog (§12.2.1.1); the caller adds the Via.
    public mutating func request(_ method: SIPMethod, contact: SIPURI, body: [UInt8] = [], contentType: String? = nil)
        -> SIPRequest {
        if method != .ack && method != .cancel { localSeq += 1 }
        var h = SIPHeaders()
        h.add("Max-Forwards", "70")
        h.add("From", "\(localURI);tag=\(localTag)")
        h.add("To", "\(remoteURI);tag=\(remoteTag)")
        h.add("Call-ID", callID)
        h.add("CSeq", "\(localSeq) \(method)")
        // Loose routing (§12.2.1.1): the Request-URI is the remote target, the route set goes in Route.
        for route in routeSet { h.add("Route", route) }
        h.add("Contact", "<\(contact)>")
        if let contentType, !body.isEmpty { h.add("Content-Type", contentType) }
        return SIPRequest(method: method, uri: remoteTarget, headers: h, body: body)
    }

    /// Whether a request belongs to this dialog (§12.2.2).
    public func matches(_ r: SIPRequest) -> Bool {
        r.headers["Call-ID"] == callID &&
            r.headers.to?.tag == localTag &&
            r.headers.from?.tag == remoteTag
    }
}
