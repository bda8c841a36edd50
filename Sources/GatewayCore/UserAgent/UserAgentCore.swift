import DequeModule
import SIP

/// The gateway's SIP user agent as it decides (sans-IO): one dispatch of
/// what the SIP service hands it - requests in their server transactions,
/// responses and timeouts of its client transactions, ACKs -
/// to its parts: the call model (browsers' calls), the calls it places and
/// the registrations it keeps. What those parts ask of SIP is consumed here
/// (a placed call's INVITE, a REGISTER, a request in a dialog); what remains
/// are values for the shell: answer, send in a new client transaction,
/// write, and the call model's decisions for the browsers' side. One output
/// queue, one next timeout.
public final class UserAgentCore {
    public enum Output {
        /// Answer the server transaction `key`.
        case respond(TransactionKey, SIPResponse)
        /// Send `request` in a new client transaction to `hop` (a CANCEL the way of the INVITE
        /// `cancelling`); report the transaction's key with `sent(_:for:)`.
        case send(SIPRequest, to: SIPPeer, cancelling: SIPRequest?, owner: Owner)
        /// Write `request` as it is, no transaction (the ACK of a 2xx).
        case write(SIPRequest, to: SIPPeer)
        /// Our 2xx again, its ACK not come yet: where its request's Via says over UDP.
        case resend(SIPResponse, to: SIPPeer)
        /// The call model's decision for the browsers' side (signaling, media, log).
        case call(CallModel.Output)
        /// A registration's state changed; nil: the user is no longer kept registered (its sign-in failed).
        case registration(user: String, RegistrationClient.State?)
        /// A placed call is over: what the shell holds for it (a test call's media) may go.
        case placedCallEnded(callID: String)
        case log(String)
    }

    /// Whose client transaction it is.
    public enum Owner: Hashable, Sendable {
        case placedCall(String)
        case registration(user: String)
        /// A request of the call model in the dialog of a call it answered, by the model's request id.
        case dialogRequest(UInt64)
        /// The OPTIONS that checks the SIP server is there.
        case serverProbe
    }

    public private(set) var model: CallModel?
    /// Where REGISTERs and the calls placed without a route of their own go (the SIP server, the outbound proxy).
    public private(set) var server: SIPPeer
    public let placed: PlacedCalls
    public let registrations: Registrations
    /// Whether the SIP server answers.
    public private(set) var probe: ServerProbe
    /// The users of the configuration, kept registered from the start.
    private var accounts: Set<String> = []
    /// The call model's requests in its dialogs, by client transaction.
    private var dialogRequests: [TransactionKey: UInt64] = [:]
    private var outputs = Deque<Output>()
    /// The time of the latest input: what the parts' outputs are taken on.
    private var now: UInt64 = 0

    /// `probeInterval`: how often the SIP server is asked whether it is there (OPTIONS), in µs; 0: never.
    public init(server: SIPPeer, registrations: Registrations.Settings,
                probeInterval: UInt64 = 30_000_000, token: @escaping () -> String) {
        self.server = server
        var probeSettings = ServerProbe.Settings(domain: registrations.domain, contactHost: registrations.contactHost,
                                                 contactPort: registrations.contactPort, transport: registrations.transport)
        probeSettings.interval = probeInterval
        probe = ServerProbe(settings: probeSettings, token: token)
        placed = PlacedCalls(server: server)
        self.registrations = Registrations(settings: registrations, token: token)
    }

    /// Hands calls and registrations to the call model, and tells it where the
    /// registrations that started before it stand.
    public func attach(_ model: CallModel, now: UInt64) {
        self.model = model
        for (user, state) in registrations.states { model.registrationChanged(user: user, state: state, now: now) }
    }

    /// The SIP service listens on `contactPort`, sending to `server`: the accounts of the configuration get registered.
    public func started(contactPort: UInt16, server: SIPPeer, accounts: [(user: String, password: String)], now: UInt64) {
        self.now = now
        registrations.settings.contactPort = contactPort
        self.server = server
        placed.server = server
        for (user, password) in accounts { registrations.register(user: user, password: password, now: now) }
        self.accounts = Set(accounts.map(\.user))
        probe.settings.contactPort = contactPort
        probe.start(now: now)
        sendProbe(now: now)
    }

    /// Ready for calls: the SIP server answers, the configuration's accounts are registered, and no drain has begun.
    public var isReady: Bool { notReady == nil }

    /// Why the gateway is not ready for calls (nil: it is).
    public var notReady: String? {
        if model?.isDraining == true { return "draining" }
        switch probe.reachable {
        case nil where !probe.isOn: break
        case nil: return "the SIP server has not answered yet"
        case false?: return "the SIP server does not answer"
        case true?: break
        }
        let unregistered = accounts.filter { if case .registered = registrations.state(of: $0) { false } else { true } }
        return unregistered.isEmpty ? nil : "not registered: \(unregistered.sorted().joined(separator: ", "))"
    }

    private func sendProbe(now: UInt64) {
        if let options = probe.poll(now: now, server: server) {
            outputs.append(.send(options, to: server, cancelling: nil, owner: .serverProbe))
        }
    }

    // MARK: calls placed for the shell (the test routes')

    /// Places `call`, to `route` or else the SIP server.
    public func place(_ call: OutgoingCall, route: SIPPeer?, now: UInt64) {
        self.now = now
        placed.place(call, route: route, now: now)
    }

    /// A request of the placed call `callID` (CANCEL, BYE, re-INVITE).
    public func send(_ request: SIPRequest, inPlacedCall callID: String, now: UInt64) {
        self.now = now
        placed.send(request, for: callID, now: now)
    }

    // MARK: shutting down

    /// The gateway starts draining: the call model takes no new session, sign-in or call; calls up go on.
    public func drain(now: UInt64) {
        self.now = now
        model?.drain()
    }

    /// The drain is over: every call ends, every session is signed out, and every user (the
    /// configuration's accounts too) unregistered.
    public func endAll(now: UInt64) {
        self.now = now
        model?.endAll(now: now)
        for (user, _) in registrations.states { registrations.unregister(user: user, now: now) }
    }

    /// Nothing left to wait for: no call, no placed call, no registration (un-REGISTERs answered or given up).
    public var isIdle: Bool { (model?.callCount ?? 0) == 0 && placed.activeCount == 0 && registrations.isEmpty }

    // MARK: requests

    /// A request that passed the checks, in its server transaction (for a
    /// CANCEL, `cancelling` is the INVITE transaction it matched); false leaves
    /// it to the shell (the test routes' calls, the endpoint's own answers).
    public func request(_ r: SIPRequest, key: TransactionKey, from peer: SIPPeer, cancelling: TransactionKey?, now: UInt64) -> Bool {
        self.now = now
        model?.noteRequest(r)
        let placedCall = placed.call(in: r)
        // A re-INVITE or UPDATE refreshes a placed call's session timer (RFC 4028), whoever answers it.
        if r.method == .invite || r.method == .update, let placedCall { placed.refreshedByPeer(placedCall.callID, now: now) }
        if let model, [SIPMethod.invite, .bye, .info, .update].contains(r.method) {
            if model.inDialog(r, key: key, now: now) { return true }
            let toTag = r.headers.to?.tag
            if r.method == .invite, toTag == nil { return model.incomingInvite(r, key: key, from: peer, now: now) }
        }
        if r.method == .cancel, let cancelling {
            outputs.append(.respond(key, TransactionLayer.response(to: r, .ok)))
            _ = model?.cancelled(inviteKey: cancelling, now: now)
            return true
        }
        guard let placedCall else { return false }
        switch r.method {
        case .bye:
            outputs.append(.respond(key, TransactionLayer.response(to: r, .ok)))
            outputs.append(.log("outgoing call \(placedCall.callID) ended by BYE from \(peer)"))
            placed.hungUpByPeer(placedCall.callID, now: now)
            model?.placedCallChanged(placedCall, response: nil, now: now)
            return true
        case .invite where placedCall.hasPendingReinvite:
            outputs.append(.respond(key, TransactionLayer.response(to: r, .requestPending)))   // glare (RFC 3261 §14.2)
            return true
        default:
            return false
        }
    }

    // MARK: responses, timeouts, ACKs

    /// A response in one of our client transactions.
    public func response(_ response: SIPResponse, key: TransactionKey, now: UInt64) {
        self.now = now
        if response.statusCode >= 200, let id = dialogRequests.removeValue(forKey: key) {
            return model?.requestAnswered(id, response: response, now: now) ?? ()
        }
        if placed.response(response, key: key, now: now) || probe.response(response, key: key, now: now) { return }
        _ = registrations.response(response, key: key, now: now)
    }

    /// One of our client transactions got no final response.
    public func timeout(_ key: TransactionKey, now: UInt64) {
        self.now = now
        if let id = dialogRequests.removeValue(forKey: key) { return model?.requestAnswered(id, response: nil, now: now) ?? () }
        if placed.timeout(key, now: now) || probe.timeout(key, now: now) { return }
        _ = registrations.timeout(key, now: now)
    }

    /// A 2xx that outlived its INVITE transaction.
    public func strayResponse(_ response: SIPResponse, now: UInt64) {
        self.now = now
        placed.strayResponse(response, now: now)
    }

    /// An ACK outside any transaction: true when it was of a 2xx of the call model's.
    public func acknowledged(_ ack: SIPRequest, now: UInt64) -> Bool {
        self.now = now
        return model?.acknowledged(ack, now: now) ?? false
    }

    /// The client transaction an output's request went out in.
    public func sent(_ key: TransactionKey, for owner: Owner) {
        switch owner {
        case .placedCall(let callID): placed.sent(key, for: callID)
        case .registration(let user): registrations.sent(key, for: user)
        case .dialogRequest(let id): dialogRequests[key] = id
        case .serverProbe: probe.sent(key)
        }
    }

    // MARK: timers

    public var nextTimeout: UInt64? {
        [model?.nextTimeout, placed.nextTimeout, registrations.nextTimeout, probe.nextTimeout].compactMap { $0 }.min()
    }

    public func handleTimeout(now: UInt64) {
        self.now = now
        model?.handleTimeout(now: now)
        registrations.handleTimeout(now: now)
        placed.handleTimeout(now: now)
        sendProbe(now: now)
    }

    // MARK: outputs

    /// The next output: the parts' decisions are consumed until one is for the shell.
    public func pollOutput() -> Output? {
        while outputs.isEmpty {
            if let output = model?.pollOutput() {
                take(output)
            } else if let output = placed.pollOutput() {
                take(output)
            } else if let output = registrations.pollOutput() {
                take(output)
            } else {
                return nil
            }
        }
        return outputs.popFirst()
    }

    private func take(_ output: CallModel.Output) {
        switch output {
        case .respond(let key, let response): outputs.append(.respond(key, response))
        case .place(let call): placed.place(call, now: now)
        case .sendPlaced(let request, let call): placed.send(request, for: call.callID, now: now)
        case .placedCallHungUp(let call): placed.hungUpByPeer(call.callID, now: now)
        case .sendInDialog(let request, let peer, let id): outputs.append(.send(request, to: peer, cancelling: nil, owner: .dialogRequest(id)))
        case .write(let request, let peer): outputs.append(.write(request, to: peer))
        case .resend(let response, let peer): outputs.append(.resend(response, to: peer))
        case .register(let user, let password): registrations.register(user: user, password: password, now: now)
        case .unregister(let user): registrations.unregister(user: user, now: now)
        case .forgetRegistration(let user):
            registrations.forget(user: user)
            outputs.append(.registration(user: user, nil))
        default: outputs.append(.call(output))
        }
    }

    private func take(_ output: PlacedCalls.Output) {
        switch output {
        case .send(let request, let callID, let hop, let invite):
            outputs.append(.send(request, to: hop, cancelling: invite, owner: .placedCall(callID)))
        case .write(let ack, let hop): outputs.append(.write(ack, to: hop))
        case .changed(let call, let response): model?.placedCallChanged(call, response: response, now: now)
        case .ended(let callID): outputs.append(.placedCallEnded(callID: callID))
        case .log(let line): outputs.append(.log(line))
        }
    }

    private func take(_ output: Registrations.Output) {
        switch output {
        case .send(let request, let user):
            outputs.append(.send(request, to: server, cancelling: nil, owner: .registration(user: user)))
        case .changed(let user, let state):
            outputs.append(.registration(user: user, state))
            model?.registrationChanged(user: user, state: state, now: now)
        }
    }
}
