import GatewayCore
import Logging
import NIOCore
import ShellSupport
import SignalingProtocol
import SIP
import SIPEndpoint

/// The call model's NIO shell on the browsers' side: it feeds the model
/// (`CallModel`) the clients' messages and the media legs' events, and
/// carries out what the model decides for them (`CallManager+Outputs`). The
/// model is a part of the user agent's core (`UserAgentCore`), which takes the
/// SIP side and whose drive (`UserAgent.drive`) hands the model's decisions
/// here and keeps its one timer. Confined to the SIP service's event loop:
/// the signaling transports hop there, and so do the browser legs' events.
final class CallManager: @unchecked Sendable {
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
    /// Where the media sockets are bound, and the address the browser legs advertise (the model's
    /// `mediaIP` is what the SIP legs advertise).
    let mediaBindIP: String
    let browserMediaIP: String
    /// The Opus encoder's complexity on the browser legs.
    let opusComplexity: Int32
    /// The media quality of calls whose media closed, until their end is reported (the page's
    /// `ended`, the log line, the metrics).
    var endedQuality: [String: CallQualityReport] = [:]
    /// Where ended calls are counted (set once at start).
    var metrics: GatewayMetrics?

    init(ua: UserAgent, factory: BrowserLegFactory, ports: MediaPortPool, group: EventLoopGroup, settings: CallModel.Settings,
         media: (bind: String, browserAdvertised: String, opusComplexity: Int32), refusals: Refusals, logger: Logger) {
        mediaBindIP = media.bind
        browserMediaIP = media.browserAdvertised
        opusComplexity = media.opusComplexity
        self.refusals = refusals
        self.ua = ua
        self.factory = factory
        self.ports = ports
        self.group = group
        self.logger = logger
        model = CallModel(settings: settings, ports: ports)
    }

    // MARK: inputs from the clients

    /// A new client connected (call on the loop): its session, or why it has none.
    func open(_ transport: SignalingTransport, source: String) -> Result<ClientSession, SessionTable.Refusal> {
        defer { drive() }
        switch model.open(source: source, takesOffers: transport.takesOffers) {
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

    // MARK: the drive

    /// Carries out what the model (through the user agent's core) decided, and re-arms the one timer.
    func drive() { ua.drive() }
}
