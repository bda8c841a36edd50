import HTTPEdge
import NIOCore
import ShellSupport
import SignalingProtocol
import SIPEndpoint

/// The HTTP long-poll transport's routes (the Genesys WebRTC Gateway's wire
/// protocol, docs/SIGNALING.md): /sign_in, /wait, /message, /sign_out. Each
/// request hops to the call manager's loop, where the clients live.
final class LongPollRoutes: @unchecked Sendable {
    let manager: CallManager
    let origins: OriginPolicy
    /// A client that has not polled for this long is gone: its calls end, its registration goes.
    let expiry: TimeAmount
    /// How long a /wait is held with nothing to send. A parked /wait keeps its
    /// client alive, so a client that vanished with one parked goes after hold + expiry.
    let hold: TimeAmount
    /// Set on sign-in to the instance's id so that a load balancer keeps a user on
    /// this instance (deploy/haproxy.cfg; sent only over HTTPS when the gateway serves HTTPS).
    let instanceCookie: String
    private var clients: [String: LongPollClient] = [:]   // by session id, on the manager's loop

    init(manager: CallManager, origins: OriginPolicy, expiry: TimeAmount = .seconds(30),
         hold: TimeAmount = .seconds(50), https: Bool = false, instance: String) {
        // Over HTTPS the cookie goes cross-site too (a web app on its own server keeps its instance).
        instanceCookie = "GWINSTANCE=\(instance); Path=/; HttpOnly" + (https ? "; SameSite=None; Secure" : "; SameSite=Lax")
        self.manager = manager
        self.origins = origins
        self.expiry = expiry
        self.hold = hold
        let check = TimeAmount.nanoseconds(max(expiry.nanoseconds / 6, 100_000_000))
        manager.loop.scheduleRepeatedTask(initialDelay: check, delay: check) { [weak self] _ in self?.expire() }
    }

    func handle(_ request: RouteRequest, on loop: EventLoop) -> EventLoopFuture<RouteResponse>? {
        guard let parsed = LongPollRequest.parse(method: request.method.rawValue, path: request.path, query: request.query,
                                                 body: request.body) else { return nil }
        guard origins.permits(request.headers) else {
            return loop.makeSucceededFuture(.text("error=forbidden-origin\n", status: .forbidden))
        }
        let promise = manager.loop.makePromise(of: RouteResponse.self)
        switch parsed {
        case .success(let asked):
            let source = request.source, isOpen = request.connectionIsOpen
            manager.loop.execute { self.route(asked, source: source, isOpen: isOpen, promise) }
        case .failure(let refusal):
            promise.succeed(.text("error=\(refusal.code)\nmessage=\(refusal.message)\n",
                                  status: refusal == .noSession ? .notFound : .badRequest))
        }
        return promise.futureResult
    }

    private func route(_ request: LongPollRequest, source: String, isOpen: @escaping @Sendable () -> Bool,
                       _ promise: EventLoopPromise<RouteResponse>) {
        switch request {
        case .signIn(let user, let password, let json): signIn(user: user, password: password, json: json, source: source, promise)
        case .wait(let id, let ack): wait(id, ack: ack, isOpen: isOpen, promise)
        case .message(let id, let peer, let message): self.message(message, from: id, to: peer, promise)
        case .signOut(let id): signOut(id, promise)
        }
    }

    private func client(_ id: String) -> LongPollClient? {
        guard let client = clients[id], !client.closed else { return nil }
        return client
    }

    private static func gone() -> RouteResponse { .text("error=no-session\n", status: .notFound) }

    /// Without a password the user signs in anonymously (calls out only); with one, it is registered
    /// on the SIP server first and the answer waits for that.
    private func signIn(user: String, password: String?, json: Bool, source: String,
                        _ promise: EventLoopPromise<RouteResponse>) {
        let client = LongPollClient(dialect: json ? .json : .genesys, loop: manager.loop, expiry: expiry)
        let session: ClientSession
        switch manager.open(client, source: source) {
        case .success(let opened): session = opened
        case .failure(let refusal):
            var busy = RouteResponse.text("error=\(refusal.rawValue)\n", status: refusal == .tooManyFromSource ? .tooManyRequests : .serviceUnavailable)
            busy.headers.append(("Retry-After", "30"))
            return promise.succeed(busy)
        }
        client.session = session
        clients[session.id] = client
        let cookie = instanceCookie
        promise.futureResult.whenSuccess { response in
            if response.status != .ok { self.drop(client) }
        }
        let withCookie = manager.loop.makePromise(of: RouteResponse.self)
        withCookie.futureResult.map { response -> RouteResponse in
            var r = response
            r.headers.append(("Set-Cookie", cookie))
            return r
        }.cascade(to: promise)
        guard let password else {
            let event = manager.signInAnonymously(session, user: user)
            return withCookie.succeed(LongPollClient.signInResponse(event, ssid: session.id) ?? .text("", status: .badRequest))
        }
        client.signIn = withCookie
        manager.receive(.signIn(user: user, password: password), from: session)
    }

    private func drop(_ client: LongPollClient) {
        clients[client.session.id] = nil
        manager.close(client.session, reason: "sign-in failed")
    }

    private func wait(_ id: String, ack: UInt64?, isOpen: @escaping @Sendable () -> Bool,
                      _ promise: EventLoopPromise<RouteResponse>) {
        guard let client = client(id) else { return promise.succeed(Self.gone()) }
        client.wait(promise, ack: ack, timeout: hold, connectionIsOpen: isOpen)
    }

    private func message(_ message: LongPollMessage, from id: String, to peer: String, _ promise: EventLoopPromise<RouteResponse>) {
        guard let client = client(id) else { return promise.succeed(Self.gone()) }
        let session = client.session!
        switch client.genesys.request(for: message, peer: peer, standing: manager.standing(in: session),
                                      newCallID: { Random.token(16) }) {
        case .message(let m): manager.receive(m, from: session)
        case .statistics(let call, let text): manager.logger.info("call \(call ?? "?") statistics from the browser: \(text)")
        case .nothing: break
        case .refused(let why): return promise.succeed(.text("error=bad-message\nmessage=\(why)\n", status: .badRequest))
        }
        promise.succeed(.text(""))
    }

    private func signOut(_ id: String, _ promise: EventLoopPromise<RouteResponse>) {
        guard let client = client(id) else { return promise.succeed(Self.gone()) }
        clients[client.session.id] = nil
        manager.close(client.session, reason: "signed out")
        client.close()
        promise.succeed(.text(""))
    }

    private func expire() {
        let now = SIPService.now()
        for (id, client) in clients where client.closed || client.queue.isExpired(now: now) {
            clients[id] = nil
            if !client.closed { manager.close(client.session, reason: "stopped polling") }
            client.close()
        }
    }
}
