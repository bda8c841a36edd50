import NIOCore
import NIOHTTP1
import SignalingProtocol
import SIPEndpoint

/// One long-poll client (docs/SIGNALING.md): its events wait in a bounded
/// queue until a hanging GET /wait takes them, one per response. A message
/// is not lost on the way: a client that acknowledges (`/wait?ack=SEQ`, the
/// X-Seq of the last message it got) gets an unacknowledged one again on its
/// next /wait; for one that does not, a response that could not be written
/// goes out again on the next /wait. It speaks the
/// Genesys words, or (dialect `json`) the WebSocket protocol's messages
/// wrapped in the word JSON. Confined to the call manager's loop.
final class LongPollClient: SignalingTransport, @unchecked Sendable {
    enum Dialect { case genesys, json }

    static let maxQueue = 256
    let dialect: Dialect
    let loop: EventLoop
    var session: ClientSession!
    private(set) var closed = false
    private var queue: [Item] = []
    private struct Item: Sendable {
        var seq: UInt64
        var peer: String
        var message: LongPollMessage
    }
    private var nextSeq: UInt64 = 1
    /// The message last delivered to a client that acknowledges, until it does.
    private var inFlight: Item?
    private var acknowledges = false
    private var waiter: EventLoopPromise<HTTPResponse>?
    private(set) var lastSeen = SIPService.now()
    /// The sign-in POST waiting for the registration's outcome.
    var signIn: EventLoopPromise<HTTPResponse>?
    /// The Genesys words' names of the calls (by peer).
    var genesys = GenesysDialect()

    init(dialect: Dialect, loop: EventLoop) {
        self.dialect = dialect
        self.loop = loop
    }

    var isWaiting: Bool { waiter != nil }

    // MARK: SignalingTransport

    func push(_ event: ServerEvent) -> Bool {
        guard !closed else { return false }
        if let signIn, let response = Self.signInResponse(event, ssid: session.id) {
            self.signIn = nil
            signIn.succeed(response)
            return true
        }
        let words = dialect == .json ? [(event.call ?? "", LongPollMessage(.json, event.object))] : genesys.words(for: event)
        for (peer, message) in words {
            guard queue.count < Self.maxQueue else { return false }
            queue.append(Item(seq: nextSeq, peer: peer, message: message))
            nextSeq += 1
        }
        deliver()
        return true
    }

    func close() {
        guard !closed else { return }
        closed = true
        waiter?.succeed(HTTPResponse(status: .noContent, body: []))
        waiter = nil
        signIn?.succeed(.text("error=closed\n", status: .gone))
        signIn = nil
    }

    // MARK: the hanging GET

    /// A new /wait: it replaces an older one (answered empty), and takes the
    /// next message if there is one (the unacknowledged one first).
    func wait(_ promise: EventLoopPromise<HTTPResponse>, ack: UInt64?, timeout: TimeAmount) {
        lastSeen = SIPService.now()
        if let ack {
            acknowledges = true
            if let sent = inFlight, sent.seq <= ack { inFlight = nil }
        }
        waiter?.succeed(HTTPResponse(status: .noContent, body: []))
        waiter = promise
        deliver()
        loop.scheduleTask(in: timeout) { [weak self] in
            guard let self, let waiter = self.waiter, waiter.futureResult === promise.futureResult else { return }
            self.waiter = nil
            self.lastSeen = SIPService.now()
            waiter.succeed(HTTPResponse(status: .noContent, body: []))
        }
    }

    private func deliver() {
        guard let waiter else { return }
        let item: Item
        if let sent = inFlight {
            item = sent                  // not acknowledged: the client did not get it
        } else if !queue.isEmpty {
            item = queue.removeFirst()
            if acknowledges { inFlight = item }
        } else {
            return
        }
        self.waiter = nil
        lastSeen = SIPService.now()
        var response = HTTPResponse(body: Array(item.message.text.utf8))
        response.headers = [("Pragma", item.peer), ("X-Seq", String(item.seq))]
        if !acknowledges {
            let this = NIOLoopBound(self, eventLoop: loop), loop = self.loop
            response.onUndelivered = {
                loop.execute {
                    this.value.queue.insert(item, at: 0)   // the client never got it: first on the next /wait
                    this.value.deliver()
                }
            }
        }
        waiter.succeed(response)
    }

    /// The answer to the sign-in POST, when `event` is the outcome of the sign-in.
    static func signInResponse(_ event: ServerEvent, ssid: String) -> HTTPResponse? {
        switch event {
        case .signedIn(let user, _):
            var ok = HTTPResponse.text("id=\(ssid)\nuser=\(user)\n")
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
