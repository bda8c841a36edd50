/// The one translation between this gateway's messages and the Genesys
/// long-poll words (docs/SIGNALING.md), for one session, as the Genesys
/// client library reads and writes them. A Genesys client names a call by its
/// peer (the number dialled, or the caller) where this gateway names it by
/// id: the dialect keeps the names both ways, and what each call's words
/// must carry (the ROAP ids to echo, an answer held back, a BYE not owed).
public struct GenesysDialect: Sendable {
    /// What a call's words depend on.
    private struct CallWords: Sendable {
        var peer: String
        /// ROAP: the browser's OFFER ids, echoed in our ANSWER (RFC 3264 over ROAP).
        var offererSessionID: JSONValue?
        var seq: JSONValue?
        /// Our answer to an outgoing call, held until the far end answers (or
        /// sends early media): the client treats an ANSWER as the call taking.
        var heldAnswer: LongPollMessage?
        var answered = false
        /// The browser sent BYE: the end of the call owes it no word.
        var closedByBrowser = false
        /// An incoming call's attached data, for its ROAP messages (the client's `getData()`).
        var attachedData: [String: String] = [:]
        /// An incoming call we offered to the browser: our ROAP id, and the browser's in its ANSWER.
        var ourOffererSessionID: String?
        var answererSessionID: JSONValue?
    }

    private var calls: [String: CallWords] = [:]
    private var callByPeer: [String: String] = [:]
    /// Our ROAP session ids (answerer of the browser's offers, offerer of ours).
    private var nextSessionID = 1

    public init() {}

    /// The id of the call a client names by `peer`.
    public func call(named peer: String) -> String? { callByPeer[peer] }

    private mutating func name(call: String, peer: String) {
        callByPeer[peer] = call
        calls[call, default: CallWords(peer: peer)].peer = peer
    }

    // MARK: gateway -> browser

    /// The words for one event, each with the peer it concerns (the `Pragma` header).
    public mutating func words(for event: ServerEvent) -> [(peer: String, message: LongPollMessage)] {
        let id = event.call ?? ""
        let peer = calls[id]?.peer ?? ""
        switch event {
        case .sdp(_, let sdp):
            let answer = roapAnswer(call: id, sdp: sdp)
            guard calls[id]?.answered == false else { return [(peer, answer)] }
            calls[id]?.heldAnswer = answer      // an outgoing call's answer waits for the far end's
            return []
        case .progress(_, _, _, let earlyMedia):
            return earlyMedia ? release(id) : []
        case .incoming(let call, let from, _, let data, let offer):
            // Two calls from one peer at once: the second is named peer#call.
            let name = callByPeer[from] == nil ? from : "\(from)#\(call)"
            self.name(call: call, peer: name)
            calls[call]?.answered = true      // nothing of ours to hold back
            calls[call]?.attachedData = data
            // With our offer: the client's onIncomingCall, then acceptCall answers it. Without: it offers.
            guard let offer else { return [(name, LongPollMessage(.invite))] }
            let offerer = sessionID()
            calls[call]?.ourOffererSessionID = offerer
            var roap: [String: JSONValue] = ["messageType": "OFFER", "offererSessionId": .string(offerer), "seq": 1,
                                             "sdp": .string(offer), "Candidates": .array([])]
            if !data.isEmpty { roap["attacheddata"] = Self.attachedData(data) }
            return [(name, LongPollMessage(.sdp, roap))]
        case .answered:
            // The ANSWER held back is the client's sign that the call is up. EVENT-TALK is a command to it
            // (answer when idle, resume when held), not a notification: a connected client would re-offer.
            // The client's ANSWER to our offer gets its ROAP OK.
            guard let offerer = calls[id]?.ourOffererSessionID else { return release(id) }
            var ok: [String: JSONValue] = ["messageType": "OK", "offererSessionId": .string(offerer), "seq": 1]
            ok["answererSessionId"] = calls[id]?.answererSessionID
            return [(peer, LongPollMessage(.rsmp, ok))]
        case .resumed(_, let by):
            // The client holds and resumes by re-offering: the ANSWER to that is its confirmation. The SIP
            // side's hold and resume tell it to do the same (it re-offers inactive / sendrecv).
            return by == .remote ? [(peer, LongPollMessage(.eventTalk))] : []
        case .held(_, let by):
            return by == .remote ? [(peer, LongPollMessage(.eventHold))] : []
        case .dtmf(_, let digit):
            return [(peer, LongPollMessage(.infoPeer, ["dtmf": .string(digit)]))]
        case .info(_, let content, _):
            return [(peer, LongPollMessage(.infoPeer, content))]   // the client reads INFO-PEER only
        case .stats(_, let statistics):
            return [(peer, LongPollMessage(.putStats, statistics))]
        case .ended(let call, let code, let reason, let cause, _):
            let words = calls.removeValue(forKey: call)
            callByPeer = callByPeer.filter { $0.value != call }
            if words?.closedByBrowser == true { return [] }     // its own BYE: a BYE back would end its next call
            var out: [(String, LongPollMessage)] = []
            if cause != .hangup, cause != .signedOut {
                out.append((peer, Self.error(cause.rawValue, ["code": .integer(code), "reason": .string(reason)])))
            }
            out.append((peer, LongPollMessage(.bye)))
            return out
        case .error(let error):
            return [(peer, Self.error(error.code.rawValue, ["message": .string(error.message)]))]
        case .registrationLost(let code, let reason):
            return [("", Self.error("registration-lost", ["code": .integer(code), "reason": .string(reason)]))]
        case .pong, .signedIn, .signedOut:
            return []   // no Genesys word (sign-in is answered by its POST)
        }
    }

    /// The ROAP ANSWER to the browser's OFFER for `call`: its ids and seq echoed, ours added.
    private mutating func roapAnswer(call: String, sdp: String) -> LongPollMessage {
        var answer: [String: JSONValue] = ["messageType": "ANSWER", "sdp": .string(sdp), "Candidates": .array([])]
        if let offerer = calls[call]?.offererSessionID { answer["offererSessionId"] = offerer }
        if let seq = calls[call]?.seq { answer["seq"] = seq }
        answer["answererSessionId"] = .string(sessionID())
        if let data = calls[call]?.attachedData, !data.isEmpty { answer["attacheddata"] = Self.attachedData(data) }
        return LongPollMessage(.rsmp, answer)
    }

    private mutating func sessionID() -> String {
        defer { nextSessionID &+= 1 }
        return "gw\(nextSessionID)"
    }

    /// The held-back answer of `call`, now that the far end answered or sent early media.
    private mutating func release(_ call: String) -> [(peer: String, message: LongPollMessage)] {
        calls[call]?.answered = true
        guard let answer = calls[call]?.heldAnswer, let peer = calls[call]?.peer else { return [] }
        calls[call]?.heldAnswer = nil
        return [(peer, answer)]
    }

    /// An error as the client recognises one: `ERROR` and `errorType` after
    /// the start of the message, in a JSON object it parses from the first `{`.
    static func error(_ type: String, _ details: [String: JSONValue]) -> LongPollMessage {
        LongPollMessage(.rsmp, details.merging(["messageType": "ERROR", "errorType": .string(type)]) { _, new in new })
    }

    // MARK: browser -> gateway

    /// Where a call named by a word stands, as far as the translation cares.
    public struct CallStanding: Sendable {
        public var ringing: Bool
        public var incoming: Bool
        public init(ringing: Bool, incoming: Bool) {
            self.ringing = ringing
            self.incoming = incoming
        }
    }

    /// What a word from the browser comes to.
    public enum Request: Equatable, Sendable {
        case message(ClientMessage)
        /// The browser's statistics of a call (PUT-STATS), for the log.
        case statistics(call: String?, text: String)
        /// Taken, with nothing to do (RSMP OK; BYE of a call already over).
        case nothing
        /// Not a word a browser sends to this gateway, or not to that peer.
        case refused(String)
    }

    /// Pairs as the Genesys `attacheddata`, sorted by key.
    static func attachedData(_ data: [String: String]) -> JSONValue {
        .array(data.sorted { $0.key < $1.key }.map { .object(["key": .string($0.key), "value": .string($0.value)]) })
    }

    /// The Genesys `attacheddata` (`[{"key": K, "value": V}]`, from `setData`) as pairs; malformed elements are skipped.
    static func attachedData(_ value: JSONValue?) -> [String: String] {
        guard case .array(let items)? = value else { return [:] }
        var data: [String: String] = [:]
        for case .object(let item) in items {
            guard let key = item["key"]?.string, let value = item["value"] else { continue }
            data[key] = value.formText
        }
        return data
    }

    /// The request a word to `peer` makes. `standing` tells where a call
    /// stands (nil: over); `newCallID` names a call the browser places.
    public mutating func request(for m: LongPollMessage, peer: String, standing: (String) -> CallStanding?,
                                 newCallID: () -> String) -> Request {
        let call = callByPeer[peer]
        switch m.word {
        case .json:
            guard let message = try? ClientMessage(m.object ?? [:]) else {
                return .refused(ClientMessage.DecodeError.noType.description)
            }
            return .message(message)
        case .rsmp:
            switch m.object?["messageType"]?.string?.uppercased() {
            case "OFFER":
                let sdp = m.object?["sdp"]?.string ?? ""
                if let call, let state = standing(call) {
                    calls[call]?.seq = m.object?["seq"]
                    if let offerer = m.object?["offererSessionId"] { calls[call]?.offererSessionID = offerer }
                    // The browser answers an INVITE by offering; in an answered call it re-offers (hold, resume).
                    return .message(.call(id: call, state.ringing ? .answer(sdp: sdp) : .reoffer(sdp: sdp)))
                }
                let id = newCallID()
                name(call: id, peer: peer)
                calls[id]?.offererSessionID = m.object?["offererSessionId"] ?? .string("browser")
                calls[id]?.seq = m.object?["seq"]
                return .message(.call(id: id, .place(to: peer, sdp: sdp, data: Self.attachedData(m.object?["attacheddata"]))))
            case "ANSWER":
                // The client's answer to our offer of an incoming call: it answers the call.
                guard let call, calls[call]?.ourOffererSessionID != nil, let state = standing(call), state.ringing,
                      state.incoming else {
                    return .refused("an ANSWER answers the gateway's OFFER of an incoming call")
                }
                calls[call]?.answererSessionID = m.object?["answererSessionId"]
                return .message(.call(id: call, .answer(sdp: m.object?["sdp"]?.string ?? "")))
            case "OK":
                return .nothing
            default:
                return .refused("this gateway takes OFFER, ANSWER and OK")
            }
        case .bye:
            guard let call, let state = standing(call) else { return .nothing }   // already over
            calls[call]?.closedByBrowser = true
            return .message(.call(id: call, state.ringing && state.incoming ? .reject : .hangup))
        case .eventHold, .eventTalk:
            guard let call else { return .refused("no call with \(peer)") }
            return .message(.call(id: call, m.word == .eventHold ? .hold : .resume))
        case .infoPeer, .infoMap:
            guard let call else { return .refused("no call with \(peer)") }
            return .message(.call(id: call, .info(content: m.object ?? [:], map: m.word == .infoMap)))
        case .putStats:
            return .statistics(call: call, text: String(m.text.prefix(512)))
        case .getStats:
            guard let call else { return .refused("no call with \(peer)") }
            return .message(.call(id: call, .stats))
        case .sdp, .invite, .error:
            return .refused("\(m.word.rawValue) is not a message a browser sends")
        }
    }
}
