import GatewayCore
import Logging
import NIOCore
import ShellSupport
import SignalingProtocol
import SIP
import SIPEndpoint

/// The call model's NIO shell: it feeds the model (`CallModel`) the clients'
/// messages, the user agent's SIP events and the media legs' events, carries
/// out what the model decides (`CallManager+Outputs`), and keeps one timer
/// at the model's next deadline. Confined to the SIP service's event loop:
/// the signaling transports hop there, and so do the browser legs' events.
final class CallManager: SIPCallHandler, @unchecked Sendable {
    /// The gateway's SIP user agent, and the SIP service under it.
    let ua: UserAgent
    var sip: SIPService { ua.service }
    let factory: BrowserLegFactory
    let ports: MediaPortPool
    let group: EventLoopGroup
    let refusals: Refusals
    let logger: Logger
    var loop: EventLoop { sip.loop }
    let model: CallModel
    /// The clients' transports, by session id.
    var clients: [String: ClientSession] = [:]
    /// The media of the live calls, by call id.
    var media: [String: CallMedia] = [:]
    private var timer: Scheduled<Void>?
    private var timerDeadline: UInt64?

    init(ua: UserAgent, factory: BrowserLegFactory, ports: MediaPortPool, group: EventLoopGroup, settings: CallModel.Settings,
         refusals: Refusals, logger: Logger) {
        self.refusals = refusals
        self.ua = ua
        self.factory = factory
        self.ports = ports
        self.group = group
        self.logger = logger
        model = CallModel(settings: settings, dialogs: ua.service.calls, ports: ports)
    }

    // MARK: inputs from the clients

    /// A new client connected (call on the loop): its session, or why it has none.
    func open(_ transport: SignalingTransport, source: String) -> Result<ClientSession, SessionTable.Refusal> {
        defer { drive() }
        switch model.open(source: source) {
        case .failure(let refusal):
            return .failure(refusal)
        case .success(let id):
            let session = ClientSession(id: id, transport: transport)
            // Later on the loop: the event that overflowed may be sent from inside the call model's own work.
            session.ended = { [weak self] session, reason in
                guard let self else { return }
                self.loop.execute { self.close(session, reason: reason) }
            }
            clients[id] = session
            return .success(session)
        }
    }

    /// One message from a client.
    func receive(_ m: ClientMessage, from s: ClientSession) {
        guard !s.closed else { return }
        model.receive(m, from: s.id, now: SIPService.now())
        drive()
    }

    /// The client left (signed out, its transport closed or expired).
    func close(_ session: ClientSession, reason: String) {
        model.close(session.id, reason: reason, now: SIPService.now())
        drive()
    }

    /// A long-poll client without a password (GET /sign_in?ID); returns the outcome event.
    func signInAnonymously(_ s: ClientSession, user: String) -> ServerEvent {
        defer { drive() }
        return model.signInAnonymously(s.id, user: user)
    }

    /// The signed-in user of a session (nil before sign-in).
    func user(of s: ClientSession) -> String? { model.user(of: s.id) }

    /// Where a session's calls stand, for the Genesys words that name them.
    func standing(in s: ClientSession) -> (String) -> GenesysDialect.CallStanding? { model.standing(in: s.id) }

    // MARK: inputs from the user agent (SIPCallHandler)

    func incomingInvite(_ r: SIPRequest, key: TransactionKey, from peer: SIPPeer) -> Bool {
        defer { drive() }
        return model.incomingInvite(r, key: key, from: peer, now: SIPService.now())
    }

    func inDialog(_ r: SIPRequest, key: TransactionKey) -> Bool {
        defer { drive() }
        return model.inDialog(r, key: key, now: SIPService.now())
    }

    func cancelled(inviteKey: TransactionKey) -> Bool {
        defer { drive() }
        return model.cancelled(inviteKey: inviteKey, now: SIPService.now())
    }

    func placedCallChanged(_ call: OutgoingCall, response: SIPResponse?) {
        model.placedCallChanged(call, response: response, now: SIPService.now())
        drive()
    }

    func acknowledged(_ ack: SIPRequest) {
        model.acknowledged(ack, now: SIPService.now())
        drive()
    }

    func dialogFailed(_ dialogID: String, reason: String) -> Bool {
        defer { drive() }
        return model.dialogFailed(dialogID, reason: reason, now: SIPService.now())
    }

    func registrationChanged(user: String, state: RegistrationClient.State) {
        model.registrationChanged(user: user, state: state, now: SIPService.now())
        drive()
    }

    // MARK: the drive

    /// Carries out what the model decided, then keeps the one timer at its next deadline.
    func drive() {
        var sentSIP = false
        while let output = model.pollOutput() { sentSIP = carryOut(output) || sentSIP }
        if sentSIP { sip.afterWork() }
        let next = model.nextTimeout
        guard next != timerDeadline else { return }
        timer?.cancel()
        timerDeadline = next
        guard let next else { return timer = nil }
        let now = SIPService.now()
        timer = loop.scheduleTask(in: .microseconds(Int64(clamping: next > now ? next - now : 0))) { [weak self] in
            guard let self else { return }
            self.timerDeadline = nil
            self.model.handleTimeout(now: SIPService.now())
            self.drive()
        }
    }
}
