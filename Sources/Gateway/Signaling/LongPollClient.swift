import Foundation
import NIOCore
import NIOHTTP1
import SignalingProtocol

/// One long-poll client (docs/SIGNALING.md): its events wait in a bounded
/// queue until a hanging GET /wait takes them, one per response. A message
/// is not lost on the way: a client that acknowledges (`/wait?ack=SEQ`, the
/// X-Seq of the last message it got) gets an unacknowledged one again on its
/// next /wait; for one that does not, a response that could not be written
/// goes out again on the next /wait. It speaks the
/// Genesys words, or (dialect `json`) the WebSocket protocol's messages
/// wrapped in the word JSON. Confined to the call manager's loop.
final class LongPollClient: SignalingTransport {
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
    /// Genesys clients name a call by its peer (the number dialled, or the caller).
    private(set) var callByPeer: [String: String] = [:]
    private var peerByCall: [String: String] = [:]

    init(dialect: Dialect, loop: EventLoop) {
        self.dialect = dialect
        self.loop = loop
    }

    var isWaiting: Bool { waiter != nil }

    func name(call: String, peer: String) {
        callByPeer[peer] = call
        peerByCall[call] = peer
    }

    // MARK: SignalingTransport

    func push(_ event: [String: Any]) -> Bool {
        guard !closed else { return false }
        let type = event["type"] as? String ?? ""
        if let signIn, type == "signed-in" || (type == "error" && event["request"] as? String == "sign-in") {
            self.signIn = nil
            signIn.succeed(Self.signInResponse(event, ssid: session.id))
            return true
        }
        for (peer, message) in translate(event) {
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

    // MARK: events -> messages

    private func translate(_ event: [String: Any]) -> [(String, LongPollMessage)] {
        let call = event["call"] as? String
        if dialect == .json { return [(call ?? "", LongPollMessage(.json, event))] }
        let peer = call.flatMap { peerByCall[$0] } ?? ""
        switch event["type"] as? String ?? "" {
        case "sdp":
            return [(peer, LongPollMessage(.rsmp, ["messageType": "ANSWER", "sdp": event["sdp"] ?? "", "Candidates": [Any]()]))]
        case "incoming":
            guard let call, let from = event["from"] as? String else { return [] }
            // Two calls from one peer at once: the second is named peer#call.
            let name = callByPeer[from] == nil ? from : "\(from)#\(call)"
            self.name(call: call, peer: name)
            return [(name, LongPollMessage(.invite))]
        case "answered", "resumed":
            return [(peer, LongPollMessage(.eventTalk))]
        case "held":
            return [(peer, LongPollMessage(.eventHold))]
        case "dtmf":
            return [(peer, LongPollMessage(.infoPeer, ["dtmf": event["digit"] ?? ""]))]
        case "info":
            let content = event["content"] as? [String: Any] ?? [:]
            return [(peer, LongPollMessage(event["map"] as? Bool == true ? .infoMap : .infoPeer, content))]
        case "ended":
            if let call { peerByCall[call] = nil }
            callByPeer = callByPeer.filter { $0.value != call }
            let cause = event["cause"] as? String ?? "failed"
            var out: [(String, LongPollMessage)] = []
            if !["hangup", "signed-out"].contains(cause) {
                out.append((peer, LongPollMessage(.error, ["errorType": cause, "code": event["code"] ?? 0,
                                                           "reason": event["reason"] ?? ""])))
            }
            // The browser's last statistics of the call come back as PUT-STATS before it closes.
            out.append((peer, LongPollMessage(.getStats)))
            out.append((peer, LongPollMessage(.bye)))
            return out
        case "error":
            return [(peer, LongPollMessage(.error, ["errorType": event["code"] ?? "error", "message": event["message"] ?? ""]))]
        case "registration":
            return [("", LongPollMessage(.error, ["errorType": "registration-lost", "code": event["code"] ?? 0,
                                                  "reason": event["reason"] ?? ""]))]
        default:
            return []   // progress, pong, signed-out: no Genesys word
        }
    }

    static func signInResponse(_ event: [String: Any], ssid: String) -> HTTPResponse {
        if event["type"] as? String == "signed-in" {
            var ok = HTTPResponse.text("id=\(ssid)\nuser=\(event["user"] as? String ?? "")\n")
            ok.headers = [("Pragma", ssid)]
            return ok
        }
        let code = event["code"] as? String ?? "error"
        let status: HTTPResponseStatus = switch code {
        case "wrong-password", "unknown-user": .forbidden
        case "server-unreachable": .serviceUnavailable
        case "in-use": .conflict
        default: .badRequest
        }
        return .text("error=\(code)\nmessage=\(event["message"] as? String ?? "")\n", status: status)
    }
}
