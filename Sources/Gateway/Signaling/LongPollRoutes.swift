import Foundation
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
    /// Set on sign-in so that a load balancer can keep a user on this instance
    /// (sent only over HTTPS when the gateway serves HTTPS).
    let instanceCookie: String
    private var clients: [String: LongPollClient] = [:]   // by session id, on the manager's loop

    init(manager: CallManager, origins: OriginPolicy, expiry: TimeAmount = .seconds(30),
         hold: TimeAmount = .seconds(50), https: Bool = false) {
        // Over HTTPS the cookie goes cross-site too (a web app on its own server keeps its instance).
        instanceCookie = "GWINSTANCE=\(Random.token(16)); Path=/; HttpOnly" + (https ? "; SameSite=None; Secure" : "; SameSite=Lax")
        self.manager = manager
        self.origins = origins
        self.expiry = expiry
        self.hold = hold
        let check = TimeAmount.nanoseconds(max(expiry.nanoseconds / 6, 100_000_000))
        manager.loop.scheduleRepeatedTask(initialDelay: check, delay: check) { [weak self] _ in self?.expire() }
    }

    func handle(_ request: HTTPRequest, on loop: EventLoop) -> EventLoopFuture<HTTPResponse>? {
        let route: @Sendable (HTTPRequest, EventLoopPromise<HTTPResponse>) -> Void
        switch (request.method, request.path) {
        case (.GET, "/sign_in"), (.POST, "/sign_in"): route = signIn
        case (.GET, "/wait"): route = wait
        case (.POST, "/message"): route = message
        case (.GET, "/sign_out"), (.POST, "/sign_out"): route = signOut
        default: return nil
        }
        guard origins.permits(request.headers) else {
            return loop.makeSucceededFuture(.text("error=forbidden-origin\n", status: .forbidden))
        }
        let promise = manager.loop.makePromise(of: HTTPResponse.self)
        manager.loop.execute { route(request, promise) }
        return promise.futureResult
    }

    private func client(_ request: HTTPRequest, key: String) -> LongPollClient? {
        guard let id = request.query[key], let client = clients[id], !client.closed else { return nil }
        return client
    }

    private static func gone() -> HTTPResponse { .text("error=no-session\n", status: .notFound) }

    /// GET /sign_in?ID signs in anonymously (calls out only); POST /sign_in
    /// with `ID:PASSWORD` registers ID on the SIP server first. `?json` asks
    /// for the JSON dialect (this gateway's library).
    private func signIn(_ request: HTTPRequest, _ promise: EventLoopPromise<HTTPResponse>) {
        let dialect: LongPollClient.Dialect = request.query["json"] != nil ? .json : .genesys
        let client = LongPollClient(dialect: dialect, loop: manager.loop, expiry: expiry)
        let session: ClientSession
        switch manager.open(client, source: request.source) {
        case .success(let opened): session = opened
        case .failure(let refusal):
            var busy = HTTPResponse.text("error=\(refusal.rawValue)\n", status: refusal == .serverFull ? .serviceUnavailable : .tooManyRequests)
            busy.headers.append(("Retry-After", "30"))
            return promise.succeed(busy)
        }
        client.session = session
        clients[session.id] = client
        let cookie = instanceCookie
        promise.futureResult.whenSuccess { response in
            if response.status != .ok { self.drop(client) }
        }
        let withCookie = manager.loop.makePromise(of: HTTPResponse.self)
        withCookie.futureResult.map { response -> HTTPResponse in
            var r = response
            r.headers.append(("Set-Cookie", cookie))
            return r
        }.cascade(to: promise)
        if request.method == .GET {
            guard let user = request.query.first(where: { $0.key != "json" && $0.value.isEmpty })?.key else {
                return withCookie.succeed(.text("error=bad-user\nmessage=GET /sign_in?ID\n", status: .badRequest))
            }
            let event = manager.signInAnonymously(session, user: user)
            return withCookie.succeed(LongPollClient.signInResponse(event, ssid: session.id) ?? .text("", status: .badRequest))
        }
        let body = String(decoding: request.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let colon = body.firstIndex(of: ":") else {
            return withCookie.succeed(.text("error=bad-request\nmessage=the body is ID:PASSWORD\n", status: .badRequest))
        }
        client.signIn = withCookie
        manager.receive(.signIn(user: String(body[..<colon]), password: String(body[body.index(after: colon)...])), from: session)
    }

    private func drop(_ client: LongPollClient) {
        clients[client.session.id] = nil
        manager.close(client.session, reason: "sign-in failed")
    }

    private func wait(_ request: HTTPRequest, _ promise: EventLoopPromise<HTTPResponse>) {
        guard let client = client(request, key: "id") else { return promise.succeed(Self.gone()) }
        client.wait(promise, ack: request.query["ack"].flatMap { UInt64($0) }, timeout: hold)
    }

    /// POST /message?from=SSID&to=PEER with one message word (and JSON).
    private func message(_ request: HTTPRequest, _ promise: EventLoopPromise<HTTPResponse>) {
        guard let client = client(request, key: "from") else { return promise.succeed(Self.gone()) }
        let message: LongPollMessage
        do { message = try LongPollMessage(parsing: request.body) } catch {
            return promise.succeed(.text("error=bad-message\nmessage=\(error)\n", status: .badRequest))
        }
        let session = client.session!
        switch client.genesys.request(for: message, peer: request.query["to"] ?? "", standing: manager.standing(in: session),
                                      newCallID: { Random.token(16) }) {
        case .message(let m): manager.receive(m, from: session)
        case .statistics(let call, let text): manager.logger.info("call \(call ?? "?") statistics from the browser: \(text)")
        case .nothing: break
        case .refused(let why): return promise.succeed(.text("error=bad-message\nmessage=\(why)\n", status: .badRequest))
        }
        promise.succeed(.text(""))
    }

    private func signOut(_ request: HTTPRequest, _ promise: EventLoopPromise<HTTPResponse>) {
        guard let client = client(request, key: "id") else { return promise.succeed(Self.gone()) }
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
