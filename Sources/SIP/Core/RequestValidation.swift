/// The checks a UAS makes before it lets a request in (RFC 3261 §8.2), in
/// the order the RFC gives them. A failure is the response to send.
public struct RequestRejection: Error, Equatable, Sendable {
    public var status: SIPStatus
    public var reason: String
    /// Headers the response must carry (Allow, Unsupported, Accept).
    public var headers: [(String, String)]

    /// `reason` defaults to the status's phrase; a specific one tells the peer what was wrong.
    public init(_ status: SIPStatus, _ reason: String? = nil, headers: [(String, String)] = []) {
        self.status = status
        self.reason = reason ?? status.reasonPhrase
        self.headers = headers
    }

    public static func == (a: RequestRejection, b: RequestRejection) -> Bool {
        a.status == b.status && a.reason == b.reason && a.headers.map { $0.0 + $0.1 } == b.headers.map { $0.0 + $0.1 }
    }
}

public struct RequestValidator: Sendable {
    /// Methods this element implements; others get 501 with Allow.
    public var methods: [SIPMethod]
    /// Option tags it supports; a Require with others gets 420 (§8.2.2.3).
    public var supportedExtensions: Set<String>
    /// Body types accepted per method (§8.2.3); others get 415 with Accept.
    public var acceptedBodies: [SIPMethod: Set<String>]

    public init(methods: [SIPMethod] = [.invite, .ack, .bye, .cancel, .options, .info, .update, .register],
                supportedExtensions: Set<String> = ["timer"],
                acceptedBodies: [SIPMethod: Set<String>] = [
                    .invite: ["application/sdp"], .ack: ["application/sdp"], .update: ["application/sdp"],
                    .info: ["application/dtmf-relay", "application/dtmf", "application/json",
                             "application/x-www-form-urlencoded"],
                ]) {
        self.methods = methods
        self.supportedExtensions = supportedExtensions
        self.acceptedBodies = acceptedBodies
    }

    static let singleValued = ["From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Type", "Content-Length", "Expires"]

    public func validate(_ r: SIPRequest) -> RequestRejection? {
        let h = r.headers
        // Well-formed enough to answer at all (§8.1.1).
        for name in ["Via", "Call-ID"] where h[name] == nil {
            return RequestRejection(.badRequest, "Missing \(name)")
        }
        guard let from = h.core.from else { return RequestRejection(.badRequest, "Missing From") }
        guard let toValue = h.core.to else { return RequestRejection(.badRequest, "Missing To") }
        guard let cseqValue = h.core.cseq else { return RequestRejection(.badRequest, "Missing CSeq") }
        for name in Self.singleValued where h.values(name).count > 1 {
            return RequestRejection(.badRequest, "Multiple \(name) values")
        }
        let cseq: CSeq
        do {
            // The core fields were parsed as they entered the message; the other Via values are read here.
            _ = try h.core.topVia?.get()
            for v in h.values("Via").dropFirst() { _ = try Via(parsing: v) }
            _ = try from.get()
            let to = try toValue.get()
            cseq = try cseqValue.get()
            for v in h.values("Contact") where v != "*" { _ = try NameAddress(parsing: v) }
            if let mf = h["Max-Forwards"], !(mf.utf8.allSatisfy { (48...57).contains($0) } && !mf.isEmpty && mf.count <= 10) {
                return RequestRejection(.badRequest, "Bad Max-Forwards")
            }
            if r.method == .register, !to.uri.isSIP { return RequestRejection(.badRequest, "To of a REGISTER must be a SIP URI") }
        } catch {
            return RequestRejection(.badRequest, error.reason)
        }
        // §8.2.1: methods
        guard methods.contains(r.method) else {
            return RequestRejection(.notImplemented, headers: [("Allow", methods.map(\.name).joined(separator: ", "))])
        }
        guard cseq.method == r.method else { return RequestRejection(.badRequest, "CSeq method does not match the request") }
        // §8.2.2.1: Request-URI scheme
        guard r.uri.isSIP || r.uri.scheme == "tel" else { return RequestRejection(.unsupportedURIScheme) }
        // §8.2.2.3: Require
        let required = h.values("Require").map { $0.lowercased() }.filter { !supportedExtensions.contains($0) }
        if !required.isEmpty, r.method != .ack, r.method != .cancel {
            return RequestRejection(.badExtension, headers: [("Unsupported", required.joined(separator: ", "))])
        }
        // §8.2.3: content
        if !r.body.isEmpty, let accepted = acceptedBodies[r.method] {
            let type = (h["Content-Type"] ?? "").split(separator: ";").first.map { SIPText.trim($0).lowercased() } ?? ""
            guard accepted.contains(type) else {
                return RequestRejection(.unsupportedMediaType,
                                        headers: [("Accept", accepted.sorted().joined(separator: ", "))])
            }
        }
        // §8.2.5-ish: a response we can build must be acceptable to the caller (Accept of an INVITE).
        if r.method == .invite, !h.values("Accept").isEmpty {
            let types = h.values("Accept").map { $0.split(separator: ";").first.map { SIPText.trim($0).lowercased() } ?? "" }
            if !types.contains(where: { $0 == "application/sdp" || $0 == "application/*" || $0 == "*/*" }) {
                return RequestRejection(.notAcceptable)
            }
        }
        return nil
    }
}
