import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SDP
import SIP

/// The NIO shell of the SIP stack: one UDP socket (and TCP), the transaction
/// layer, the endpoint core (OPTIONS, request checks) and the registration
/// clients, all on one event loop with one timer. It plays one of two roles:
/// with no `server` it is the embedded SIP server (registrar, stateless proxy,
/// test numbers); with one it is the gateway's user agent, whose calls belong
/// to the call model (`callHandler`).
final class SIPService: @unchecked Sendable {
    struct Settings {
        var listenHost: String
        var listenPort: Int
        /// Registrar / outbound proxy; nil = this gateway's embedded registrar.
        var server: SIPPeer?
        var domain: String
        var accounts: [(user: String, password: String)]
        var mediaIP: String
        var mediaPorts: MediaPortPool
        /// Client TLS for `tls:` SIP servers (trust roots and verification).
        var tls: NIOSSLContext?
        /// A TLS listener for incoming connections: its port (on listenHost) and server certificate.
        var tlsListen: (port: Int, context: NIOSSLContext)?
        /// The registration interval asked for (the registrar may grant another).
        var registerExpires = 3600
        /// How often the user agent pings the SIP server while it has registrations; 0 = never.
        var keepAliveSeconds = 30
        /// The IP addresses SIP is taken from (the SIP server's, trusted peers');
        /// nil = any (the embedded server: on loopback, or asking for Digest when it has accounts).
        var trustedSources: Set<String>?
        var refusals = Refusals()
        /// New calls (out-of-dialog INVITEs) taken on per second; more get 503 + Retry-After.
        var maxCallRate = 500
        /// The embedded server's accounts: REGISTER and new INVITEs must authenticate.
        var authentication: DigestVerifier?
        /// A connection a peer opened on which nothing arrives for this long is closed
        /// (phones keep theirs open with CRLF keep-alives, RFC 5626 §4.4.1).
        var streamIdleSeconds = 300
    }

    let settings: Settings
    let loop: EventLoop
    let logger: Logger
    private var channel: Channel?
    private var tcpListener: Channel?
    private var tlsListener: Channel?
    /// Open TCP connections by remote "host:port", reused both ways (RFC 3261 §18).
    var tcpConnections: [String: Channel] = [:]
    /// Requests waiting for a connection being opened, by peer: one connection each, not one per request.
    var connecting: [String: [SIPRequest]] = [:]
    /// Connections we opened (to the SIP server, to phones reached over TCP):
    /// bounded apart from the ones strangers open to us, which cannot crowd them out.
    var outboundConnections = 0
    static let maxOutboundConnections = 1024
    /// Connections accepted, in all and per source address.
    let inboundLimiter: ConnectionLimiter
    let transactions: TransactionLayer
    private let endpoint: EndpointCore
    /// The embedded server's proxy; nil for the user agent.
    private var proxy: StatelessProxy?
    /// The call model (browser calls); set before `start`, used on the loop only.
    weak var callHandler: SIPCallHandler?
    let calls = InviteServerCore()
    /// Test-number calls ringing, by dialog: the INVITE transaction a CANCEL ends.
    var ringingCalls: [String: TransactionKey] = [:]
    /// Test-number media, by dialog.
    var media: [String: (Channel, UInt16)] = [:]
    /// Calls this gateway places, by Call-ID, and which transaction belongs to which.
    var outgoing: [String: OutgoingCall] = [:]
    var outgoingByTransaction: [TransactionKey: String] = [:]
    /// Requests the call model sent in its dialogs (BYE, INFO, re-INVITE), by
    /// transaction: told of the final response, or of nil on a timeout.
    private var requestCallbacks: [TransactionKey: (SIPResponse?) -> Void] = [:]
    /// Next hops of placed calls that do not go through the SIP server (test calls).
    var routes: [String: SIPPeer] = [:]
    var clients: [String: RegistrationClient] = [:]          // by user
    private var clientByTransaction: [TransactionKey: String] = [:]
    private var timer: Scheduled<Void>?
    /// Registration states for the status route; written on the loop, read from any thread.
    let status = NIOLockedValueBox<[String: String]>([:])

    init(settings: Settings, loop: EventLoop, logger: Logger) {
        self.settings = settings
        self.loop = loop
        self.logger = logger
        transactions = TransactionLayer(callAdmission: CallAdmission(perSecond: settings.maxCallRate))
        inboundLimiter = ConnectionLimiter(total: 1024, perSource: 64, reason: "sip-connections", refusals: settings.refusals)
        endpoint = EndpointCore(registrar: settings.server == nil ? Registrar() : nil, makeTag: { Random.token(10) })
    }

    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds / 1000 }

    func start() -> EventLoopFuture<Void> {
        bindUDPAndTCP(attempts: settings.listenPort == 0 ? 20 : 1).map { channel, listener in
            self.channel = channel
            self.tcpListener = listener
            let port = channel.localAddress?.port ?? self.settings.listenPort
            let upstream = self.settings.server.map { "server \($0)" } ?? "embedded registrar"
            self.logger.info("SIP listening on udp and tcp \(self.settings.listenHost):\(port), \(upstream)")
            if self.isServer {
                self.proxy = StatelessProxy(host: self.settings.listenHost, port: UInt16(port), domain: self.settings.domain,
                                            localUsers: Set(TestNumber.allCases.map(\.rawValue)))
            }
            self.startRegistrations(localPort: UInt16(port))
            self.startTLSListener()
            if !self.isServer, self.settings.keepAliveSeconds > 0 {
                let every = TimeAmount.seconds(Int64(self.settings.keepAliveSeconds))
                self.loop.scheduleRepeatedTask(initialDelay: every, delay: every) { [weak self] _ in
                    self?.sendKeepAlive()
                }
            }
        }
    }

    /// UDP and TCP on the same port. Asked for port 0, the port UDP got may be
    /// taken for TCP: then both are let go and another is tried.
    private func bindUDPAndTCP(attempts: Int) -> EventLoopFuture<(Channel, Channel)> {
        DatagramBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            // Room for a burst while the loop sheds load (the kernel caps it at net.core.rmem_max).
            .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelInitializer { channel in channel.pipeline.addHandler(SIPDatagramHandler(service: self)) }
            .bind(host: settings.listenHost, port: settings.listenPort)
            .flatMap { udp in
                ServerBootstrap(group: self.loop)
                    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                    .childChannelInitializer { self.accept($0, transport: .tcp, tls: nil) }
                    .bind(host: self.settings.listenHost, port: udp.localAddress?.port ?? self.settings.listenPort)
                    .map { (udp, $0) }
                    .flatMapError { error in
                        udp.close().flatMap {
                            attempts > 1 ? self.bindUDPAndTCP(attempts: attempts - 1) : self.loop.makeFailedFuture(error)
                        }
                    }
            }
    }

    var boundPort: Int? { channel?.localAddress?.port }

    /// A connection a peer opened to us: within the bounds, closed when idle.
    private func accept(_ channel: Channel, transport: SIPPeer.Transport, tls: NIOSSLContext?) -> EventLoopFuture<Void> {
        guard inboundLimiter.admit(channel) else { return channel.close() }
        return channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
            try pipeline.addHandler(IdleStateHandler(readTimeout: .seconds(Int64(settings.streamIdleSeconds))))
            try pipeline.addHandler(IdleCloser())
            try pipeline.addHandler(SIPStreamHandler(service: self, transport: transport))
        }
    }

    /// SIP over TLS from peers that connect to us (RFC 3261 §26.3.1): the
    /// connection, once up, is reused both ways like the ones we open.
    private func startTLSListener() {
        guard let (port, context) = settings.tlsListen else { return }
        ServerBootstrap(group: loop)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { self.accept($0, transport: .tls, tls: context) }
            .bind(host: settings.listenHost, port: port)
            .whenComplete { result in
                switch result {
                case .success(let listener):
                    self.tlsListener = listener
                    self.proxy?.tlsPort = listener.localAddress?.port.map(UInt16.init)
                    self.logger.info("SIP listening on tls \(self.settings.listenHost):\(listener.localAddress?.port ?? port)")
                case .failure(let error):
                    self.logger.error("cannot listen for SIP over TLS on port \(port): \(error)")
                }
            }
    }
    var isServer: Bool { settings.server == nil }

    private func startRegistrations(localPort: UInt16) {
        for (user, password) in settings.accounts { register(user: user, password: password) }
        afterWork()
    }

    /// Starts keeping `user` registered (an account from the configuration, or a signed-in browser user).
    func register(user: String, password: String?) {
        let port = UInt16(boundPort ?? settings.listenPort)
        let account = RegistrationClient.Account(
            aor: SIPURI(user: user, host: settings.domain), registrar: SIPURI(host: settings.domain),
            contact: SIPURI(user: user, host: settings.listenHost, port: port),
            credentials: password.map { DigestCredentials(username: user, password: $0) },
            via: (serverPeer.transport.rawValue, settings.listenHost, port))
        var asked = account
        asked.expires = settings.registerExpires
        let client = RegistrationClient(account: asked, token: { Random.token(12) })
        clients[user] = client
        send(client.start(now: Self.now()), to: serverPeer, for: user)
    }

    /// Stops trying to register `user` (a sign-in that failed), without a REGISTER.
    func dropRegistration(user: String) {
        clients[user] = nil
        clientByTransaction = clientByTransaction.filter { $0.value != user }
        status.withLockedValue { $0[user] = nil }
    }

    /// A double-CRLF ping to the SIP server (RFC 5626 §4.4.1) while there are
    /// registrations: it keeps NAT bindings and the server connection open.
    private func sendKeepAlive() {
        guard !clients.isEmpty else { return }
        let peer = serverPeer
        let ping: [UInt8] = [13, 10, 13, 10]
        if peer.transport == .udp {
            guard let channel, let address = try? SocketAddress(ipAddress: peer.host, port: Int(peer.port)) else { return }
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: channel.allocator.buffer(bytes: ping)),
                                  promise: nil)
        } else if let connection = tcpConnections[Self.key(peer)] {
            connection.writeAndFlush(connection.allocator.buffer(bytes: ping), promise: nil)
        }
    }

    /// Removes `user`'s binding (sign-out) and forgets the account once answered.
    func unregister(user: String) {
        guard let client = clients[user] else { return }
        send(client.unregister(now: Self.now()), to: serverPeer, for: user)
        afterWork()
    }

    // MARK: input

    /// A UDP datagram.
    func received(_ bytes: [UInt8], from source: SIPPeer) {
        guard isTrusted(source) else { return }
        if bytes.allSatisfy({ $0 == 13 || $0 == 10 }) { return } // keep-alive
        do {
            deliver(try SIPParser.parse(bytes, framing: .datagram).message, from: source)
        } catch {
            refuse(bytes, error, from: source)
        }
    }

    /// SIP from other addresses than the configured ones is not answered: a
    /// stranger learns nothing (who is signed in), and nothing is reflected.
    private func isTrusted(_ source: SIPPeer) -> Bool {
        guard let trusted = settings.trustedSources, !trusted.contains(source.host) else { return true }
        settings.refusals.count("sip-untrusted-source")
        return false
    }

    /// A request we cannot parse still gets its 400 (or 505) when there is a Via to answer.
    func refuse(_ bytes: [UInt8], _ error: SIPParseError, from source: SIPPeer) {
        if let reply = StatelessReply.forUnparsable(bytes, error: error, from: source) { writeDirect(reply, to: source) }
        logger.notice("unparsable SIP from \(source): \(error.reason)")
    }

    /// A parsed message from either transport.
    func deliver(_ message: SIPMessage, from source: SIPPeer) {
        guard isTrusted(source) else { return }
        let now = Self.now()
        var incoming = message
        if case .request(var r) = message {
            guard let top = r.headers.values("Via").first, (try? Via(parsing: top)) != nil else {
                // Without a readable Via there is no transaction: answer 400 to where it came from.
                if let reply = StatelessReply.badVia(r, from: source) { writeDirect(reply, to: source) }
                afterWork()
                return
            }
            Self.markReceived(&r, from: source)
            incoming = .request(r)
            if let verifier = settings.authentication, endpoint.validator.validate(r) == nil,
               let demand = verifier.demand(for: r, now: now, toTag: Random.token(10)) {
                write(.response(demand), to: source)
                return
            }
            // The proxy relays only what passes the request checks; the rest gets its 4xx/5xx from the endpoint.
            if let proxy, let registrar = endpoint.registrar, endpoint.validator.validate(r) == nil {
                switch proxy.route(r, registrar: registrar, now: now) {
                case .local: break
                case .forward(let forwarded, let peer):
                    write(.request(forwarded), to: peer)
                    return
                case .reject(let status, let reason):
                    write(.response(TransactionLayer.response(to: r, status, reason: reason, toTag: Random.token(10))),
                          to: source)
                    return
                case .drop:
                    return
                }
            }
        } else if case .response(let response) = message, let back = proxy?.route(response) {
            guard let destination = StatelessReply.responseDestination(back) else { return }
            write(.response(back), to: destination)
            return
        }
        handle(transactions.receive(incoming, from: source, now: now), now: now)
        afterWork()
    }

    /// RFC 3261 §18.2.1 and RFC 3581: note where a request really came from.
    static func markReceived(_ r: inout SIPRequest, from source: SIPPeer) {
        guard let top = r.headers.values("Via").first, var via = try? Via(parsing: top) else { return }
        if via.host != source.host { via.parameters.removeAll { $0.name == "received" }; via.parameters.append(SIPParameter(name: "received", value: source.host)) }
        if let i = via.parameters.firstIndex(where: { $0.name.lowercased() == "rport" }), via.parameters[i].value == nil {
            via.parameters[i].value = String(source.port)
            if !via.parameters.has("received") { via.parameters.append(SIPParameter(name: "received", value: source.host)) }
        }
        var vias = r.headers.values("Via")
        vias[0] = via.description
        r.headers.remove("Via")
        for v in vias { r.headers.add("Via", v) }
    }

    func handle(_ outputs: [TransactionLayer.Output], now: UInt64) {
        for output in outputs {
            switch output {
            case .send(let message, let peer):
                write(message, to: peer)
            case .request(let request, let from, let key):
                if endpoint.validator.validate(request) == nil, handleCallRequest(request, key: key, from: from, now: now) {
                    continue
                }
                if let response = endpoint.answer(request, from: from, now: now) {
                    handle(transactions.respond(key, response, now: now), now: now)
                }
            case .response(let response, let key):
                if response.statusCode >= 200, let callback = requestCallbacks.removeValue(forKey: key) {
                    callback(response)
                    continue
                }
                if let callID = outgoingByTransaction[key] {
                    outgoingResponse(response, callID: callID)
                    continue
                }
                guard response.statusCode >= 200, let user = clientByTransaction.removeValue(forKey: key),
                      let client = clients[user] else { continue }
                if let next = client.handle(response, now: now) { send(next, to: serverPeer, for: user) }
                report(user, client)
                if client.state == .unregistered { clients[user] = nil }
            case .timeout(let key):
                if let callback = requestCallbacks.removeValue(forKey: key) {
                    callback(nil)
                    continue
                }
                if let callID = outgoingByTransaction.removeValue(forKey: key), let call = outgoing[callID] {
                    if case .ended = call.state {} else { call.failed(code: 408, reason: "no answer") }
                    callHandler?.placedCallChanged(call, response: nil)
                    endOutgoing(callID)
                    continue
                }
                guard let user = clientByTransaction.removeValue(forKey: key), let client = clients[user] else { continue }
                if let next = client.timedOut(now: now) { send(next, to: serverPeer, for: user) }
                report(user, client)
            case .stray(.request(let ack), _) where ack.method == .ack:
                if calls.ack(ack) { callHandler?.acknowledged(ack) }
            case .stray(.response(let response), _):
                if let callID = response.headers["Call-ID"], outgoing[callID] != nil { outgoingResponse(response, callID: callID) }
            case .refused(let reason):
                settings.refusals.count(reason)
            case .stray:
                break
            }
        }
    }

    /// The call we placed that an in-dialog request belongs to (by its Call-ID, not a scan of the calls).
    private func placedCall(in r: SIPRequest) -> OutgoingCall? {
        r.headers["Call-ID"].flatMap { outgoing[$0] }.flatMap { $0.dialog?.matches(r) == true ? $0 : nil }
    }

    /// INVITE, CANCEL, BYE and in-dialog requests of the calls this gateway answers itself.
    private func handleCallRequest(_ r: SIPRequest, key: TransactionKey, from peer: SIPPeer, now: UInt64) -> Bool {
        calls.noteRequest(r)
        if let callHandler, [SIPMethod.invite, .bye, .info, .update].contains(r.method) {
            if callHandler.inDialog(r, key: key) { return true }
            let toTag = r.headers["To"].flatMap { try? NameAddress(parsing: $0) }?.tag
            if r.method == .invite, toTag == nil, !isServer { return callHandler.incomingInvite(r, key: key, from: peer) }
        }
        switch r.method {
        case .invite:
            if let call = placedCall(in: r) {
                answerReInviteOnPlacedCall(r, key: key, call: call, now: now)
                return true
            }
            if let dialog = calls.dialog(for: r) {      // a re-INVITE (hold, resume): same answer, new direction
                answerReInvite(r, key: key, dialog: dialog, now: now)
                return true
            }
            return isServer && answerTestNumber(r, key: key, from: peer, now: now)
        case .cancel:
            guard let inviteKey = transactions.inviteKey(cancelledBy: r) else { return false } // 481 from the endpoint
            respond(key, TransactionLayer.response(to: r, .ok), now: now)
            if callHandler?.cancelled(inviteKey: inviteKey) == true { return true }
            if let (id, _) = ringingCalls.first(where: { $0.value == inviteKey }),
               let dialog = calls.calls[id]?.dialog {
                guard var invite = transactions.request(for: inviteKey) else { return true }
                invite.headers.set("To", "\(dialog.localURI);tag=\(dialog.localTag)")
                respond(inviteKey, TransactionLayer.response(to: invite, .requestTerminated), now: now)
                endCall(id)
            }
            return true
        case .bye:
            if let call = placedCall(in: r) {
                respond(key, TransactionLayer.response(to: r, .ok), now: now)
                call.remoteHungUp()
                logger.info("outgoing call \(call.callID) ended by BYE from \(peer)")
                callHandler?.placedCallChanged(call, response: nil)
                endOutgoing(call.callID)
                return true
            }
            guard let dialog = calls.dialog(for: r) else { return false }
            respond(key, TransactionLayer.response(to: r, .ok), now: now)
            logger.info("call \(dialog.callID) ended by BYE from \(peer)")
            endCall(dialog.id)
            return true
        case .info, .update, .options:
            guard let dialog = calls.dialog(for: r) else { return false }
            var ok = TransactionLayer.response(to: r, .ok)
            if r.method == .update { refreshSession(r, dialog: dialog, response: &ok, now: now) }
            respond(key, ok, now: now)
            return true
        default:
            return false
        }
    }

    /// A re-INVITE from the far end of a call we placed: 491 while ours is pending
    /// (glare, §14.2), else the answer for our media port.
    private func answerReInviteOnPlacedCall(_ r: SIPRequest, key: TransactionKey, call: OutgoingCall, now: UInt64) {
        if call.hasPendingReinvite {
            respond(key, TransactionLayer.response(to: r, .requestPending), now: now)
            return
        }
        guard let (_, port) = media[call.callID], let (ok, _) = testCallReinviteAnswer(r, port: port) else {
            respond(key, TransactionLayer.response(to: r, .notAcceptableHere), now: now)
            return
        }
        respond(key, ok, now: now)
        if let dialog = call.dialog { calls.sent2xx(ok, in: dialog, peer: nextHop(for: call), now: now) }
        call.peerRefreshed(now: now)
    }

    private func answerReInvite(_ r: SIPRequest, key: TransactionKey, dialog: Dialog, now: UInt64) {
        guard let (_, port) = media[dialog.id], let (answer, agreed) = testCallReinviteAnswer(r, port: port) else {
            respond(key, TransactionLayer.response(to: r, .notAcceptableHere), now: now)
            return
        }
        var ok = answer
        refreshSession(r, dialog: dialog, response: &ok, now: now)
        respond(key, ok, now: now)
        calls.sent2xx(ok, dialogID: dialog.id, now: now)
        logger.info("call \(dialog.callID) re-INVITE: the caller is \(agreed.remoteDirection.rawValue)")
    }

    /// The 200 to a re-INVITE on a test call (a test number's, or one the test
    /// routes placed): the same media port, the offer's new direction; nil
    /// when the offer is not acceptable.
    private func testCallReinviteAnswer(_ r: SIPRequest, port: UInt16) -> (SIPResponse, NegotiatedAudio)? {
        guard let offer = try? SDPParser.parse(String(decoding: r.body, as: UTF8.self)),
              let agreed = try? AudioNegotiation.negotiate(offer, codecs: [.pcmu, .pcma]) else { return nil }
        var local = LocalAudioParameters(address: settings.mediaIP, port: port, codecs: [.pcmu, .pcma], ssrc: 1,
                                         cname: "gw", sessionID: "1")
        local.sessionVersion = UInt64(r.headers["CSeq"].flatMap { try? CSeq(parsing: $0) }?.number ?? 2)
        let sdp = Array(AudioNegotiation.answer(offer, agreed: agreed, local: local).text.utf8)
        return (Self.sdpAnswer(to: r, contact: contactURI, sdp: sdp), agreed)
    }

    /// A 2xx that carries our SDP: our Contact (the peer's target in the dialog), `headers`, the body.
    static func sdpAnswer(to r: SIPRequest, contact: SIPURI, sdp: [UInt8], toTag: String? = nil,
                          headers: [(String, String)] = []) -> SIPResponse {
        var ok = TransactionLayer.response(to: r, .ok, toTag: toTag)
        ok.headers.add("Contact", "<\(contact)>")
        for (name, value) in headers { ok.headers.add(name, value) }
        ok.headers.add("Content-Type", "application/sdp")
        ok.body = sdp
        return ok
    }

    /// A re-INVITE or UPDATE with Session-Expires refreshes the session (RFC 4028 §9).
    private func refreshSession(_ r: SIPRequest, dialog: Dialog, response: inout SIPResponse, now: UInt64) {
        let timer = InviteServerCore.sessionTimer(for: r)
        guard let seconds = timer.interval else { return }
        for (name, value) in timer.headers { response.headers.add(name, value) }
        calls.runSessionTimer(dialog.id, seconds: seconds, now: now)
    }

    func respond(_ key: TransactionKey, _ response: SIPResponse, now: UInt64) {
        handle(transactions.respond(key, response, now: now), now: now)
    }

    var contactURI: SIPURI { SIPURI(host: settings.listenHost, port: UInt16(boundPort ?? settings.listenPort)) }

    var serverPeer: SIPPeer {
        settings.server ?? SIPPeer(.udp, host: settings.listenHost, port: UInt16(boundPort ?? settings.listenPort))
    }

    private func send(_ request: SIPRequest, to peer: SIPPeer, for user: String) {
        let (key, outputs) = startTransaction(request, to: peer)
        clientByTransaction[key] = user
        handle(outputs, now: Self.now())
    }

    private func report(_ user: String, _ client: RegistrationClient) {
        let text: String
        switch client.state {
        case .registered(let expires): text = "registered \(expires)"
        case .failed(let code, let reason): text = "failed \(code) \(reason)"
        default: text = "\(client.state)"
        }
        logger.info("registration of \(user): \(text)")
        status.withLockedValue { $0[user] = text }
        callHandler?.registrationChanged(user: user, state: client.state)
    }

    // MARK: output and timers

    func write(_ message: SIPMessage, to peer: SIPPeer) {
        // Over UDP a response goes where its Via says (RFC 3581 received/rport); over TCP back
        // on the connection its request came on (§18.2.2).
        if peer.transport == .udp, case .response(let r) = message {
            guard let via = StatelessReply.responseDestination(r) else { return }
            return writeDirect(message, to: SIPPeer(.udp, host: via.host, port: via.port))
        }
        writeDirect(message, to: peer)
    }

    /// A new client transaction for `request`, over TCP when it is too large for UDP (§18.1.1);
    /// a CANCEL the way of the INVITE it cancels.
    func startTransaction(_ request: SIPRequest, to peer: SIPPeer, cancelling invite: SIPRequest? = nil)
        -> (TransactionKey, [TransactionLayer.Output]) {
        let (fitted, hop) = TransportChoice.fitting(request, to: peer, cancelling: invite)
        return transactions.send(fitted, to: hop, udpFallback: hop == peer ? nil : (request, peer), now: Self.now())
    }

    /// Sends a request of the call model through a new client transaction.
    func send(_ request: SIPRequest, to peer: SIPPeer, onFinal: @escaping (SIPResponse?) -> Void) {
        let (key, outputs) = startTransaction(request, to: peer)
        requestCallbacks[key] = onFinal
        handle(outputs, now: Self.now())
        afterWork()
    }

    /// A request outside the transaction layer (the ACK of a 2xx).
    func writeRequest(_ request: SIPRequest, to peer: SIPPeer) { write(.request(request), to: peer) }

    /// Sends to `peer` itself, whatever the message's Via says (stateless replies).
    private func writeDirect(_ message: SIPMessage, to peer: SIPPeer) {
        if peer.transport != .udp {
            writeStream(message, to: peer)
            return
        }
        guard let channel else { return }
        guard let address = try? SocketAddress(ipAddress: peer.host, port: Int(peer.port)) else {
            logger.notice("not sending to \(peer): not an IP address")
            return
        }
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: channel.allocator.buffer(bytes: message.bytes)),
                              promise: nil)
    }

    func afterWork() {
        timer?.cancel()
        let due = ([transactions.nextTimeout, calls.nextTimeout] + clients.values.map(\.nextTimeout)
            + outgoing.values.map(\.nextTimeout)).compactMap { $0 }.min()
        guard let due else { return }
        let now = Self.now()
        timer = loop.scheduleTask(in: .microseconds(Int64(due > now ? due - now : 0))) { [weak self] in
            guard let self else { return }
            let now = Self.now()
            self.handle(self.transactions.poll(now: now), now: now)
            for output in self.calls.poll(now: now) {
                switch output {
                case .send(let response, let peer): self.write(.response(response), to: peer)
                case .ackTimeout(let id):
                    self.logger.warning("no ACK for our 2xx: ending the call")
                    if self.callHandler?.dialogFailed(id, reason: "no ACK") != true { self.endCall(id) }
                case .sessionExpired(let id):
                    if self.callHandler?.dialogFailed(id, reason: "session expired") != true { self.expireSession(id) }
                }
            }
            for (user, client) in self.clients {
                if let request = client.poll(now: now) { self.send(request, to: self.serverPeer, for: user) }
            }
            for call in self.outgoing.values {
                guard let due = call.poll(now: now) else { continue }
                self.sendOutgoing(due, for: call)
                if case .ended = call.state { self.callHandler?.placedCallChanged(call, response: nil) } // session expired
            }
            self.afterWork()
        }
    }
}

/// The call model's side of the SIP service (browser calls). Called on the
/// service's event loop.
protocol SIPCallHandler: AnyObject {
    /// A new INVITE (no To tag) at the user agent; true when the call model took it.
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

final class SIPDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let service: SIPService

    init(service: SIPService) { self.service = service }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let host = envelope.remoteAddress.ipAddress, let port = envelope.remoteAddress.port,
              envelope.data.readableBytes <= 65_535 else { return }
        service.received(Array(envelope.data.readableBytesView), from: SIPPeer(.udp, host: host, port: UInt16(port)))
    }
}
