import GatewayCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ShellSupport
import SIP
import SIPEndpoint

/// The NIO shell of the gateway's SIP user agent: it hands what its SIP
/// service receives to the `UserAgentCore` and carries out what the core
/// decides (`drive`): answers and requests through the service, the call
/// model's decisions for the browsers' side to the `CallManager`. The calls
/// the test routes place are answered here. Confined to the service's event loop.
final class UserAgent: SIPRole, @unchecked Sendable {
    let service: SIPService
    let core: UserAgentCore
    /// Where the call model's decisions for the browsers' side go: set on the loop by `attach`.
    private(set) weak var calls: CallManager?
    /// Registration states for the status route; written on the loop, read from any thread.
    let status = NIOLockedValueBox<[String: String]>([:])
    /// The media of the calls the test routes place, and requests in dialogs of ours that no call owns.
    let testCalls: TestCallDialogs

    /// `probeSeconds`: how often the SIP server is asked whether it is there (OPTIONS); 0: never.
    init(service: SIPService, probeSeconds: Int) {
        self.service = service
        testCalls = TestCallDialogs(service: service)
        let settings = service.settings
        core = UserAgentCore(
            server: settings.server ?? SIPPeer(.udp, host: settings.listenHost, port: UInt16(clamping: settings.listenPort)),
            registrations: .init(domain: settings.domain, contactHost: settings.advertisedHost,
                                 contactPort: UInt16(clamping: settings.listenPort),
                                 transport: (settings.server?.transport ?? .udp).rawValue, expires: settings.registerExpires),
            probeInterval: UInt64(max(probeSeconds, 0)) * 1_000_000, token: { Random.token(12) })
        service.role = self
    }

    /// Hands calls and registrations to the call model of `manager` (on the loop).
    func attach(_ manager: CallManager) {
        calls = manager
        core.attach(manager.model, now: SIPService.now())
        drive()
    }

    var loop: EventLoop { service.loop }
    var logger: Logger { service.logger }

    /// The SIP server (registrar, outbound proxy).
    var serverPeer: SIPPeer {
        service.settings.server
            ?? SIPPeer(.udp, host: service.settings.listenHost, port: UInt16(service.boundPort ?? service.settings.listenPort))
    }

    func started(port: UInt16) {
        core.started(contactPort: port, server: serverPeer, accounts: service.settings.accounts, now: SIPService.now())
        drive()
        guard service.settings.keepAliveSeconds > 0 else { return }
        let every = TimeAmount.seconds(Int64(service.settings.keepAliveSeconds))
        loop.scheduleRepeatedTask(initialDelay: every, delay: every) { [weak self] _ in self?.sendKeepAlive() }
    }

    func tlsListening(port: UInt16) {}

    func screen(_ request: SIPRequest, from source: SIPPeer, now: UInt64) -> Bool { false }
    func screen(_ response: SIPResponse) -> Bool { false }

    // MARK: what the service hands over

    func request(_ r: SIPRequest, key: TransactionKey, from peer: SIPPeer, now: UInt64) -> Bool {
        let cancelling = r.method == .cancel ? service.transactions.inviteKey(cancelledBy: r) : nil
        testCalls.dialogs.noteRequest(r)
        defer { drive() }
        return core.request(r, key: key, from: peer, cancelling: cancelling, now: now)
            || answerTestCall(r, key: key, from: peer, now: now)
    }

    func response(_ response: SIPResponse, key: TransactionKey, now: UInt64) {
        core.response(response, key: key, now: now)
        drive()
    }

    func timeout(_ key: TransactionKey, now: UInt64) {
        core.timeout(key, now: now)
        drive()
    }

    func strayResponse(_ response: SIPResponse, now: UInt64) {
        core.strayResponse(response, now: now)
        drive()
    }

    func acknowledged(_ ack: SIPRequest, now: UInt64) {
        if !core.acknowledged(ack, now: now) { _ = testCalls.acknowledged(ack) }
        drive()
    }

    var nextTimeout: UInt64? { [core.nextTimeout, testCalls.nextTimeout].compactMap { $0 }.min() }

    func poll(now: UInt64) {
        core.handleTimeout(now: now)
        testCalls.poll(now: now) { id, _ in testCalls.dialogs.close(id) }
        drive()
    }

    // MARK: the drive

    /// Carries out what the core decided, then re-arms the service's one timer.
    func drive() {
        while let output = core.pollOutput() {
            switch output {
            case .respond(let key, let response):
                service.respond(key, response, now: SIPService.now())
            case .send(let request, let hop, let invite, let owner):
                let (key, outputs) = service.startTransaction(request, to: hop, cancelling: invite)
                core.sent(key, for: owner)
                service.handle(outputs, now: SIPService.now())
            case .write(let request, let hop):
                service.writeRequest(request, to: hop)
            case .resend(let response, let peer):
                service.write(.response(response), to: peer)
            case .call(let decision):
                calls?.carryOut(decision)
            case .registration(let user, let state):
                report(user, state)
            case .placedCallEnded(let callID):
                testCalls.closeMedia(callID)
            case .log(let line):
                logger.info("\(line)")
            }
        }
        service.afterWork()
    }

    /// A double-CRLF ping to the SIP server (RFC 5626 §4.4.1) while there are
    /// registrations: it keeps NAT bindings and the server connection open.
    private func sendKeepAlive() {
        guard !core.registrations.isEmpty else { return }
        service.ping(serverPeer)
    }

    private func report(_ user: String, _ state: RegistrationClient.State?) {
        guard let state else { return status.withLockedValue { $0[user] = nil } }
        let text: String
        switch state {
        case .registered(let expires): text = "registered \(expires)"
        case .failed(let code, let reason): text = "failed \(code) \(reason)"
        default: text = "\(state)"
        }
        logger.info("registration of \(user): \(text)")
        status.withLockedValue { $0[user] = text }
    }

    var dialogCount: Int { (core.model?.dialogCount ?? 0) + testCalls.dialogs.calls.count }

    /// For the status route: calls placed and not ended, registrations kept, dialogs answered.
    var counts: (placedCalls: Int, registrations: Int, dialogs: Int) {
        (core.placed.activeCount, core.registrations.count, dialogCount)
    }
}
