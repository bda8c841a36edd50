import GatewayCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ShellSupport
import SIP
import SIPEndpoint

/// The gateway's SIP user agent: the registrations of its users, the calls
/// it places, and the requests of the call model's dialogs, on a SIP service
/// of its own. Calls and registrations belong to the call model
/// (`callHandler`); the calls the test routes place are answered here.
/// Confined to the service's event loop.
final class UserAgent: SIPRole, @unchecked Sendable {
    let service: SIPService
    /// The call model (browser calls): set on the loop by `attach`.
    private(set) weak var callHandler: SIPCallHandler?
    /// The users kept registered on the SIP server (the decisions; `UserAgent+Registrations` sends).
    let registrations: Registrations
    /// Registration states for the status route; written on the loop, read from any thread.
    let status = NIOLockedValueBox<[String: String]>([:])
    /// The calls this gateway places (the decisions; `UserAgent+PlacedCalls` sends).
    let placed: PlacedCalls
    /// Requests the call model sent in its dialogs (BYE, INFO, re-INVITE), by
    /// transaction: told of the final response, or of nil on a timeout.
    private var requestCallbacks: [TransactionKey: (SIPResponse?) -> Void] = [:]
    /// The media of the calls the test routes place, and requests in dialogs of ours that no call owns.
    let testCalls: TestCallDialogs

    init(service: SIPService) {
        self.service = service
        testCalls = TestCallDialogs(service: service)
        let settings = service.settings
        registrations = Registrations(
            settings: .init(domain: settings.domain, contactHost: settings.listenHost, contactPort: UInt16(clamping: settings.listenPort),
                            transport: (settings.server?.transport ?? .udp).rawValue, expires: settings.registerExpires),
            token: { Random.token(12) })
        placed = PlacedCalls(server: service.settings.server ?? SIPPeer(.udp, host: settings.listenHost, port: UInt16(clamping: settings.listenPort)))
        service.role = self
    }

    /// Hands calls and registrations to the call model (on the loop), and
    /// tells it where the registrations that started with the service stand:
    /// one may have been answered before the call model was there.
    func attach(_ handler: SIPCallHandler) {
        callHandler = handler
        for (user, state) in registrations.states { handler.registrationChanged(user: user, state: state) }
    }

    var loop: EventLoop { service.loop }
    var logger: Logger { service.logger }

    /// The SIP server (registrar, outbound proxy).
    var serverPeer: SIPPeer {
        service.settings.server
            ?? SIPPeer(.udp, host: service.settings.listenHost, port: UInt16(service.boundPort ?? service.settings.listenPort))
    }

    func started(port: UInt16) {
        registrations.settings.contactPort = port
        placed.server = serverPeer
        for (user, password) in service.settings.accounts { register(user: user, password: password) }
        guard service.settings.keepAliveSeconds > 0 else { return }
        let every = TimeAmount.seconds(Int64(service.settings.keepAliveSeconds))
        loop.scheduleRepeatedTask(initialDelay: every, delay: every) { [weak self] _ in self?.sendKeepAlive() }
    }

    func tlsListening(port: UInt16) {}

    func screen(_ request: SIPRequest, from source: SIPPeer, now: UInt64) -> Bool { false }
    func screen(_ response: SIPResponse) -> Bool { false }

    // MARK: requests

    /// New INVITEs and the call model's dialogs go to the call model; the
    /// test routes' calls and dialogs of ours no call owns are answered here.
    func request(_ r: SIPRequest, key: TransactionKey, from peer: SIPPeer, now: UInt64) -> Bool {
        service.calls.noteRequest(r)
        // A re-INVITE or UPDATE refreshes a placed call's session timer (RFC 4028), whoever answers it.
        if r.method == .invite || r.method == .update, let call = placed.call(in: r) { placed.refreshedByPeer(call.callID, now: now) }
        if let callHandler, [SIPMethod.invite, .bye, .info, .update].contains(r.method) {
            if callHandler.inDialog(r, key: key) { return true }
            let toTag = r.headers["To"].flatMap { try? NameAddress(parsing: $0) }?.tag
            if r.method == .invite, toTag == nil { return callHandler.incomingInvite(r, key: key, from: peer) }
        }
        if let call = placed.call(in: r) {
            switch r.method {
            case .invite:
                answerReInviteOnPlacedCall(r, key: key, call: call, now: now)
                return true
            case .bye:
                service.respond(key, TransactionLayer.response(to: r, .ok), now: now)
                placed.hungUpByPeer(call.callID, now: now)
                logger.info("outgoing call \(call.callID) ended by BYE from \(peer)")
                callHandler?.placedCallChanged(call, response: nil)
                sendPlacedCalls()
                return true
            default:
                break
            }
        }
        if r.method == .cancel {
            guard let inviteKey = service.transactions.inviteKey(cancelledBy: r) else { return false } // 481 from the endpoint
            service.respond(key, TransactionLayer.response(to: r, .ok), now: now)
            _ = callHandler?.cancelled(inviteKey: inviteKey)
            return true
        }
        return testCalls.inDialog(r, key: key, from: peer, now: now) { service.calls.close($0) }
    }

    /// A re-INVITE from the far end of a call the test routes placed: 491
    /// while ours is pending (glare, §14.2), else the answer for our media port.
    private func answerReInviteOnPlacedCall(_ r: SIPRequest, key: TransactionKey, call: OutgoingCall, now: UInt64) {
        if call.hasPendingReinvite {
            service.respond(key, TransactionLayer.response(to: r, .requestPending), now: now)
            return
        }
        guard let port = testCalls.port(of: call.callID), let (ok, _) = testCalls.reinviteAnswer(r, port: port) else {
            service.respond(key, TransactionLayer.response(to: r, .notAcceptableHere), now: now)
            return
        }
        service.respond(key, ok, now: now)
        if let dialog = call.dialog { service.calls.sent2xx(ok, in: dialog, peer: placed.nextHop(for: call.callID), now: now) }
    }

    // MARK: responses and timeouts

    func response(_ response: SIPResponse, key: TransactionKey, now: UInt64) {
        if response.statusCode >= 200, let callback = requestCallbacks.removeValue(forKey: key) {
            return callback(response)
        }
        if placed.response(response, key: key, now: now) { return sendPlacedCalls() }
        if registrations.response(response, key: key, now: now) { sendRegistrations() }
    }

    func timeout(_ key: TransactionKey, now: UInt64) {
        if let callback = requestCallbacks.removeValue(forKey: key) { return callback(nil) }
        if placed.timeout(key, now: now) { return sendPlacedCalls() }
        if registrations.timeout(key, now: now) { sendRegistrations() }
    }

    func strayResponse(_ response: SIPResponse, now: UInt64) {
        placed.strayResponse(response, now: now)
        sendPlacedCalls()
    }

    func acknowledged(_ ack: SIPRequest) { callHandler?.acknowledged(ack) }

    func dialogFailed(_ dialogID: String, reason: DialogFailure) {
        if callHandler?.dialogFailed(dialogID, reason: reason.rawValue) != true { service.calls.close(dialogID) }
    }

    // MARK: timers

    var nextTimeout: UInt64? { [placed.nextTimeout, registrations.nextTimeout].compactMap { $0 }.min() }

    func poll(now: UInt64) {
        registrations.handleTimeout(now: now)
        sendRegistrations()
        placed.handleTimeout(now: now)
        sendPlacedCalls()
    }

    // MARK: requests of the call model

    /// Sends a request of the call model through a new client transaction.
    func send(_ request: SIPRequest, to peer: SIPPeer, onFinal: @escaping (SIPResponse?) -> Void) {
        let (key, outputs) = service.startTransaction(request, to: peer)
        requestCallbacks[key] = onFinal
        service.handle(outputs, now: SIPService.now())
        service.afterWork()
    }
}

/// The call model's side of the user agent (browser calls). Called on the
/// service's event loop.
protocol SIPCallHandler: AnyObject {
    /// A new INVITE (no To tag); true when the call model took it.
    func incomingInvite(_ r: SIPRequest, key: TransactionKey, from: SIPPeer) -> Bool
    /// A request (re-INVITE, BYE, INFO, UPDATE); true when it belongs to a dialog of the call model.
    func inDialog(_ r: SIPRequest, key: TransactionKey) -> Bool
    /// The INVITE transaction `inviteKey` was cancelled (the CANCEL is answered); true when it was one of ours.
    func cancelled(inviteKey: TransactionKey) -> Bool
    /// A call we placed changed: a response to its INVITE or re-INVITE, a far-end BYE, a timeout.
    func placedCallChanged(_ call: OutgoingCall, response: SIPResponse?)
    /// The ACK of a 2xx of ours to an INVITE (for a delayed offer, with the answer).
    func acknowledged(_ ack: SIPRequest)
    /// An answered incoming call failed (no ACK, session expired); true when it was one of ours.
    func dialogFailed(_ dialogID: String, reason: String) -> Bool
    func registrationChanged(user: String, state: RegistrationClient.State)
}
