/// The one translation between this gateway's messages and the Genesys
/// long-poll words (docs/SIGNALING.md), for one session. A Genesys client
/// names a call by its peer (the number dialled, or the caller) where this
/// gateway names it by id: the dialect keeps the names both ways.
public struct GenesysDialect: Sendable {
    private var callByPeer: [String: String] = [:]
    private var peerByCall: [String: String] = [:]

    public init() {}

    /// The id of the call a client names by `peer`.
    public func call(named peer: String) -> String? { callByPeer[peer] }

    private mutating func name(call: String, peer: String) {
        callByPeer[peer] = call
        peerByCall[call] = peer
    }

    // MARK: gateway -> browser

    /// The words for one event, each with the peer it concerns (the `Pragma` header).
    public mutating func words(for event: ServerEvent) -> [(peer: String, message: LongPollMessage)] {
        let peer = event.call.flatMap { peerByCall[$0] } ?? ""
        switch event {
        case .sdp(_, let sdp):
            return [(peer, LongPollMessage(.rsmp, ["messageType": "ANSWER", "sdp": .string(sdp), "Candidates": .array([])]))]
        case .incoming(let call, let from, _):
            // Two calls from one peer at once: the second is named peer#call.
            let name = callByPeer[from] == nil ? from : "\(from)#\(call)"
            self.name(call: call, peer: name)
            return [(name, LongPollMessage(.invite))]
        case .answered, .resumed:
            return [(peer, LongPollMessage(.eventTalk))]
        case .held:
            return [(peer, LongPollMessage(.eventHold))]
        case .dtmf(_, let digit):
            return [(peer, LongPollMessage(.infoPeer, ["dtmf": .string(digit)]))]
        case .info(_, let content, let map):
            return [(peer, LongPollMessage(map ? .infoMap : .infoPeer, content))]
        case .ended(let call, let code, let reason, let cause):
            peerByCall[call] = nil
            callByPeer = callByPeer.filter { $0.value != call }
            var out: [(String, LongPollMessage)] = []
            if cause != .hangup, cause != .signedOut {
                out.append((peer, LongPollMessage(.error, ["errorType": .string(cause.rawValue), "code": .integer(code),
                                                           "reason": .string(reason)])))
            }
            // The browser's last statistics of the call come back as PUT-STATS before it closes.
            out.append((peer, LongPollMessage(.getStats)))
            out.append((peer, LongPollMessage(.bye)))
            return out
        case .error(let error):
            return [(peer, LongPollMessage(.error, ["errorType": .string(error.code.rawValue), "message": .string(error.message)]))]
        case .registrationLost(let code, let reason):
            return [("", LongPollMessage(.error, ["errorType": "registration-lost", "code": .integer(code),
                                                  "reason": .string(reason)]))]
        case .progress, .pong, .signedIn, .signedOut:
            return []   // no Genesys word (sign-in is answered by its POST)
        }
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
                if let call, standing(call)?.ringing == true {
                    return .message(.call(id: call, .answer(sdp: sdp)))   // the browser answers an INVITE by offering
                }
                let id = newCallID()
                name(call: id, peer: peer)
                return .message(.call(id: id, .place(to: peer, sdp: sdp)))
            case "OK":
                return .nothing
            default:
                return .refused("this gateway takes OFFER and OK (the browser always offers)")
            }
        case .bye:
            guard let call, let state = standing(call) else { return .nothing }   // already over
            return .message(.call(id: call, state.ringing && state.incoming ? .reject : .hangup))
        case .eventHold, .eventTalk:
            guard let call else { return .refused("no call with \(peer)") }
            return .message(.call(id: call, m.word == .eventHold ? .hold : .resume))
        case .infoPeer, .infoMap:
            guard let call else { return .refused("no call with \(peer)") }
            return .message(.call(id: call, .info(content: m.object ?? [:], map: m.word == .infoMap)))
        case .putStats:
            return .statistics(call: call, text: String(m.text.prefix(512)))
        case .sdp, .invite, .getStats, .error:
            return .refused("\(m.word.rawValue) is not a message a browser sends")
        }
    }
}
