/// What the gateway's SIP endpoint answers on its own (sans-IO): the request
/// checks of §8.2, OPTIONS, the embedded registrar, and requests outside any
/// dialog. Calls are the call model's business; until one takes an INVITE,
/// it is answered 480.
public final class EndpointCore {
    public var validator = RequestValidator()
    public let registrar: Registrar?
    public var allow: String { validator.methods.map(\.name).joined(separator: ", ") }
    private let makeTag: () -> String

    public init(registrar: Registrar?, makeTag: @escaping () -> String) {
        self.registrar = registrar
        self.makeTag = makeTag
    }

    /// The response to a request the transaction layer delivered, or nil for an ACK.
    public func answer(_ r: SIPRequest, from peer: SIPPeer, now: UInt64) -> SIPResponse? {
        guard r.method != .ack else { return nil }
        let tag = makeTag()
        if let rejection = validator.validate(r) {
            var response = TransactionLayer.response(to: r, rejection.status, reason: rejection.reason, toTag: tag)
            for (name, value) in rejection.headers { response.headers.add(name, value) }
            return response
        }
        switch r.method {
        case .options:
            var ok = TransactionLayer.response(to: r, .ok, toTag: tag)
            ok.headers.add("Allow", allow)
            ok.headers.add("Accept", "application/sdp")
            return ok
        case .register:
            guard let registrar else {
                var notHere = TransactionLayer.response(to: r, .methodNotAllowed, toTag: tag)
                notHere.headers.add("Allow", validator.methods.filter { $0 != .register }.map(\.name).joined(separator: ", "))
                return notHere
            }
            return registrar.register(r, from: peer, now: now, toTag: tag)
        case .invite:
            let toTag = r.headers.to?.tag
            if toTag != nil { return TransactionLayer.response(to: r, .callDoesNotExist) }
            return TransactionLayer.response(to: r, .temporarilyUnavailable, toTag: tag)
        default:
            // BYE, CANCEL, INFO, UPDATE outside a dialog (§12.2.2).
            return TransactionLayer.response(to: r, .callDoesNotExist, toTag: tag)
        }
    }
}
