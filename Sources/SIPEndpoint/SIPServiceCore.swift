import SIP

/// What a SIP endpoint decides about the messages it receives and sends,
/// without sockets (sans-IO, on the service's event loop): whom SIP is taken
/// from, keep-alives, a 400 for what does not parse or has no readable Via,
/// where a request really came from (RFC 3261 §18.2.1, RFC 3581), the
/// request checks before a role sees a request, the endpoint's own answers,
/// where a response goes over UDP (its Via), the transactions, and the SIP
/// server's failover (RFC 3263). The dialogs are the role's.
/// Inputs come with `now`; outputs are values (`pollOutput`); one `nextTimeout`.
/// What the endpoint is for is its `role`'s, called here as events arrive.
public final class SIPServiceCore {
    public enum Output: Equatable {
        /// `message` was taken from a trusted source (for metrics and traces).
        case received(SIPMessage, from: SIPPeer)
        /// Put `message` on the wire to `peer`, the next hop (a target of the SIP server's name already chosen).
        case send(SIPMessage, to: SIPPeer)
        /// A message refused at a bound or for its source (the refusal counters).
        case refused(String)
        case notice(String)
        case warning(String)
    }

    public let transactions: TransactionLayer
    public let endpoint: EndpointCore
    /// What the endpoint is for; set before the first message.
    public weak var role: SIPRole?
    /// Where requests for the SIP server go (its DNS name's targets), and their failover.
    public internal(set) var failover: ServerFailover?
    /// The configured SIP server (its name, as requests name it).
    let server: SIPPeer?
    /// The addresses SIP is taken from besides the SIP server's; nil: any.
    let trustedSources: Set<String>?
    private let makeBranch: () -> String
    private var outputs: [Output] = []

    public init(server: SIPPeer?, locator: SIPServerLocator?, trustedSources: Set<String>?, maxCallRate: Int,
                registrar: Registrar?, makeTag: @escaping () -> String, makeBranch: @escaping () -> String) {
        self.server = server
        self.trustedSources = trustedSources
        self.makeBranch = makeBranch
        transactions = TransactionLayer(callAdmission: CallAdmission(perSecond: maxCallRate))
        endpoint = EndpointCore(registrar: registrar, makeTag: makeTag)
        failover = locator.map { ServerFailover(locator: $0) }
    }

    public func pollOutput() -> Output? { outputs.isEmpty ? nil : outputs.removeFirst() }

    /// The earliest deadline of the transactions, the role (its dialogs) and the server's lookups.
    public var nextTimeout: UInt64? {
        [transactions.nextTimeout, role?.nextTimeout, failover?.locator.nextTimeout].compactMap { $0 }.min()
    }

    // MARK: input

    /// A UDP datagram.
    public func receive(datagram bytes: [UInt8], from source: SIPPeer, now: UInt64) {
        guard isTrusted(source) else { return }
        if bytes.allSatisfy({ $0 == 13 || $0 == 10 }) { return } // keep-alive
        do {
            receive(try SIPParser.parse(bytes, framing: .datagram).message, from: source, now: now)
        } catch {
            refuse(bytes, error, from: source, now: now)
        }
    }

    /// A request we cannot parse still gets its 400 (or 505) when there is a Via to answer.
    public func refuse(_ bytes: [UInt8], _ error: SIPParseError, from source: SIPPeer, now: UInt64) {
        if let reply = StatelessReply.forUnparsable(bytes, error: error, from: source) { sendDirect(reply, to: source, now: now) }
        outputs.append(.notice("unparsable SIP from \(source): \(error.reason)"))
    }

    /// A parsed message from either transport.
    public func receive(_ message: SIPMessage, from source: SIPPeer, now: UInt64) {
        guard isTrusted(source) else { return }
        outputs.append(.received(message, from: source))
        var incoming = message
        if case .request(var r) = message {
            guard r.headers.topVia != nil else {
                // Without a readable Via there is no transaction: answer 400 to where it came from.
                if let reply = StatelessReply.badVia(r, from: source) { sendDirect(reply, to: source, now: now) }
                return
            }
            Self.markReceived(&r, from: source)
            incoming = .request(r)
            // The checks come first: a role screens only what the endpoint would take.
            if endpoint.validator.validate(r) == nil, role?.screen(r, from: source, now: now) == true { return }
        } else if case .response(let response) = message, role?.screen(response) == true {
            return
        }
        handle(transactions.receive(incoming, from: source, now: now), now: now)
    }

    /// SIP from other addresses than the configured ones is not answered: a
    /// stranger learns nothing (who is signed in), and nothing is reflected.
    public func isTrusted(_ source: SIPPeer) -> Bool {
        guard let trustedSources, !trustedSources.contains(source.host), !isServerAddress(source.host) else { return true }
        outputs.append(.refused("sip-untrusted-source"))
        return false
    }

    /// RFC 3261 §18.2.1 and RFC 3581: note where a request really came from.
    static func markReceived(_ r: inout SIPRequest, from source: SIPPeer) {
        guard var via = r.headers.topVia else { return }
        if via.host != source.host {
            via.parameters.removeAll { $0.name == "received" }
            via.parameters.append(SIPParameter(name: "received", value: source.host))
        }
        if let i = via.parameters.firstIndex(where: { $0.name.lowercased() == "rport" }), via.parameters[i].value == nil {
            via.parameters[i].value = String(source.port)
            if !via.parameters.has("received") { via.parameters.append(SIPParameter(name: "received", value: source.host)) }
        }
        r.headers.replaceTopVia(with: via.description)
    }

    /// What the transaction layer hands out: to the wire, to the role, or to the endpoint's own answer.
    public func handle(_ outputs: [TransactionLayer.Output], now: UInt64) {
        for output in outputs {
            switch output {
            case .send(let message, let peer):
                send(message, to: peer, now: now)
            case .request(let request, let from, let key):
                if endpoint.validator.validate(request) == nil, role?.request(request, key: key, from: from, now: now) == true {
                    continue
                }
                if let response = endpoint.answer(request, from: from, now: now) {
                    handle(transactions.respond(key, response, now: now), now: now)
                }
            case .response(let response, let key):
                if let key = afterAnswer(response.status, key: key, now: now) { role?.response(response, key: key, now: now) }
            case .timeout(let key, let peer):
                if let key = afterTimeout(key, at: peer, now: now) { role?.timeout(key, now: now) }
            case .stray(.request(let ack), _) where ack.method == .ack:
                role?.acknowledged(ack, now: now)
            case .stray(.response(let response), _):
                role?.strayResponse(response, now: now)
            case .refused(let reason):
                self.outputs.append(.refused(reason))
            case .stray:
                break
            }
        }
    }

    public func respond(_ key: TransactionKey, _ response: SIPResponse, now: UInt64) {
        handle(transactions.respond(key, response, now: now), now: now)
    }

    /// The deadlines due at `now`: the transactions', the role's.
    public func poll(now: UInt64) {
        handle(transactions.poll(now: now), now: now)
        role?.poll(now: now)
    }

    // MARK: output

    /// Over UDP a response goes where its Via says (RFC 3581 received/rport); over TCP back on the
    /// connection its request came on (§18.2.2); anything else to `peer`'s next hop.
    public func send(_ message: SIPMessage, to peer: SIPPeer, now: UInt64) {
        if peer.transport == .udp, case .response(let r) = message {
            guard let via = StatelessReply.responseDestination(r) else { return }
            return sendDirect(message, to: SIPPeer(.udp, host: via.host, port: via.port), now: now)
        }
        sendDirect(message, to: peer, now: now)
    }

    /// To `peer`'s next hop, whatever the message's Via says (stateless replies).
    private func sendDirect(_ message: SIPMessage, to destination: SIPPeer, now: UInt64) {
        guard let peer = hop(destination, now: now) else { return }
        outputs.append(.send(message, to: peer))
    }

    /// A new client transaction for `request`, over TCP when it is too large for UDP (§18.1.1);
    /// a CANCEL the way of the INVITE it cancels.
    public func startTransaction(_ request: SIPRequest, to peer: SIPPeer, cancelling invite: SIPRequest? = nil, now: UInt64)
        -> (TransactionKey, [TransactionLayer.Output]) {
        // A CANCEL goes where its INVITE went, whichever target the server's name leads to now.
        let inviteKey = invite?.headers.topVia
            .map { TransactionKey.client(branch: $0.branch ?? "", method: .invite) }
        let inviteTarget = inviteKey.flatMap { transactions.peer(of: $0) }.map { SIPPeer(peer.transport, host: $0.host, port: $0.port) }
        guard let target = inviteTarget ?? hop(peer, now: now) else {
            let (key, _) = transactions.send(request, to: peer, now: now)
            return (key, transactions.transportFailed(request, now: now))
        }
        let (fitted, next) = TransportChoice.fitting(request, to: target, cancelling: invite)
        let (key, outputs) = transactions.send(fitted, to: next, udpFallback: next == target ? nil : (request, target), now: now)
        failover?.started(key, request, for: peer, target: target)
        return (key, outputs)
    }

    /// A connection to `peer` could not be opened: a target of the SIP server's is passed over, and the
    /// requests that waited for the connection fail in their transactions.
    public func connectionFailed(to peer: SIPPeer, waiting: [SIPRequest], now: UInt64) {
        if let failure = failover?.unreachable(peer, now: now) { warn(failure, why: "no connection") }
        for request in waiting { handle(transactions.transportFailed(request, now: now), now: now) }
    }

    // MARK: the SIP server's targets

    /// Where a message for `peer` goes: for the SIP server, the target its name leads to now
    /// (nil while none is known); for anyone else, `peer` itself.
    public func hop(_ peer: SIPPeer, now: UInt64) -> SIPPeer? {
        guard let failover else { return peer }
        return failover.destination(peer, now: now)
    }

    /// Whether SIP from `host` is the SIP server's: an address its name resolved to.
    public func isServerAddress(_ host: String) -> Bool { failover?.locator.knownAddresses.contains(host) ?? false }

    /// The key under which a response goes to the role; nil when the request went again to the next target.
    private func afterAnswer(_ status: SIPStatus, key: TransactionKey, now: UInt64) -> TransactionKey? {
        guard let result = failover?.response(status, key: key, now: now, branch: makeBranch()) else { return key }
        return carryOut(result, why: "503", now: now)
    }

    /// The key under which a timeout goes to the role; nil when the request went again to the next target.
    private func afterTimeout(_ key: TransactionKey, at peer: SIPPeer, now: UInt64) -> TransactionKey? {
        guard let result = failover?.timedOut(key, at: peer, now: now, branch: makeBranch()) else { return key }
        return carryOut(result, why: "no answer", now: now)
    }

    private func carryOut(_ result: (ServerFailover.Outcome, ServerFailover.Failure?), why: String, now: UInt64) -> TransactionKey? {
        if let failure = result.1 { warn(failure, why: why) }
        switch result.0 {
        case .deliver(let key): return key
        case .retry(let request):
            guard let server else { return nil }
            let (_, outputs) = startTransaction(request, to: server, now: now)
            handle(outputs, now: now)
            return nil
        }
    }

    private func warn(_ failure: ServerFailover.Failure, why: String) {
        let next = failure.next.map { "\($0)" } ?? "none"
        outputs.append(.warning("SIP server \(server?.host ?? ""): target \(failure.target) failed (\(why)), next \(next)"))
    }
}
