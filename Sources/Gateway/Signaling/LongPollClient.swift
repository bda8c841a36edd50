import GatewayCore
import HTTPEdge
import NIOCore
import NIOHTTP1
import SignalingProtocol
import SIPEndpoint

/// One long-poll client (docs/SIGNALING.md): the HTTP requests of its
/// hanging GET /wait and its sign-in POST, around the `LongPollQueue` that
/// decides what each /wait gets. It speaks the Genesys words, or (dialect
/// `json`) the WebSocket protocol's messages wrapped in the word JSON.
/// Confined to the call manager's loop.
final class LongPollClient: SignalingTransport, @unchecked Sendable {
    enum Dialect { case genesys, json }

    let dialect: Dialect
    let loop: EventLoop
    var session: ClientSession!
    private(set) var closed = false
    private(set) var queue: LongPollQueue
    private var waiter: EventLoopPromise<RouteResponse>?
    /// Whether the parked /wait's connection is still open.
    private var waiterIsOpen: @Sendable () -> Bool = { true }
    /// The sign-in POST waiting for the registration's outcome.
    var signIn: EventLoopPromise<RouteResponse>?
    /// The Genesys words' names of the calls (by peer).
    var genesys = GenesysDialect()

    init(dialect: Dialect, loop: EventLoop, expiry: TimeAmount) {
        self.dialect = dialect
        self.loop = loop
        queue = LongPollQueue(now: SIPService.now(), expiry: UInt64(max(expiry.nanoseconds, 0) / 1000))
    }

    // MARK: SignalingTransport

    var takesOffers: Bool { dialect == .genesys }

    func push(_ event: ServerEvent) -> Bool {
        guard !closed else { return false }
        if let signIn, let response = Self.signInResponse(event, ssid: session.id) {
            self.signIn = nil
            signIn.succeed(response)
            return true
        }
        let words = dialect == .json ? [(event.call ?? "", LongPollMessage(.json, event.object))] : genesys.words(for: event)
        guard queue.push(words) else { return false }
        deliver()
        return true
    }

    func close() {
        guard !closed else { return }
        closed = true
        waiter?.succeed(RouteResponse(status: .noContent, body: []))
        waiter = nil
        signIn?.succeed(.text("error=closed\n", status: .gone))
        signIn = nil
    }

    // MARK: the hanging GET

    /// The answer to a /wait with nothing to send. The Genesys client takes
    /// any status but 200 as the end of its session (it signs out): it gets
    /// an empty 200, which it reads as no message. This gateway's library gets 204.
    private var nothing: RouteResponse {
        RouteResponse(status: dialect == .genesys ? .ok : .noContent, body: [])
    }

    /// A new /wait: it replaces an older one (answered empty), and takes the
    /// next message if there is one.
    func wait(_ promise: EventLoopPromise<RouteResponse>, ack: UInt64?, timeout: TimeAmount,
              connectionIsOpen: @escaping @Sendable () -> Bool = { true }) {
        waiter?.succeed(nothing)
        waiter = promise
        waiterIsOpen = connectionIsOpen
        queue.wait(ack: ack, now: SIPService.now())
        deliver()
        loop.scheduleTask(in: timeout) { [weak self] in
            guard let self, let waiter = self.waiter, waiter.futureResult === promise.futureResult else { return }
            self.waiter = nil
            self.queue.waitEnded(now: SIPService.now())
            waiter.succeed(self.nothing)
        }
    }

    private func deliver() {
        guard let waiter else { return }
        guard waiterIsOpen() else {
            // The client gave up on this /wait (its own timeout, shorter than our hold, closes the connection):
            // what comes next waits for its next /wait instead of going into a closed connection.
            self.waiter = nil
            queue.waitEnded(now: SIPService.now())
            return waiter.succeed(nothing)
        }
        guard let item = queue.take(now: SIPService.now()) else { return }
        self.waiter = nil
        var response = RouteResponse(body: Array(item.message.text.utf8))
        response.headers = [("Pragma", item.peer), ("X-Seq", String(item.seq))]
        if !queue.acknowledgesReceipt {
            let this = NIOLoopBound(self, eventLoop: loop), loop = self.loop
            response.onUndelivered = {
                loop.execute {
                    this.value.queue.undelivered(item)   // the client never got it: first on the next /wait
                    this.value.deliver()
                }
            }
        }
        waiter.succeed(response)
    }

    /// The answer to the sign-in POST, when `event` is the outcome of the sign-in.
    static func signInResponse(_ event: ServerEvent, ssid: String) -> RouteResponse? {
        switch event {
        case .signedIn(let user, _):
            var ok = RouteResponse.text("id=\(ssid)\nuser=\(user)\n")
            ok.headers = [("Pragma", ssid)]
            return ok
        case .error(let error) where error.request == "sign-in":
            let status: HTTPResponseStatus = switch error.code {
            case .wrongPassword, .unknownUser: .forbidden
            case .serverUnreachable: .serviceUnavailable
            case .inUse: .conflict
            default: .badRequest
            }
            return .text("error=\(error.code.rawValue)\nmessage=\(error.message)\n", status: status)
        default:
            return nil
        }
    }
}
