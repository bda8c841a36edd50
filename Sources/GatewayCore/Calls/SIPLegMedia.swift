import MediaCore
import MediaTypes
import SDP
import Identifiers

/// The SIP side's media description: what the gateway offers and answers
/// there (G.711 and telephone-event over plain RTP, or SDES-SRTP), and how an
/// agreed SDP sets leg B of the bridge.
struct SIPLegMedia {
    static let codecs: [AudioCodec] = [.pcmu, .pcma]

    let address: String
    let port: UInt16
    let ssrc = Random.ssrc()
    let cname = Random.token(12)
    let sessionID = Random.digits(12)
    private(set) var version: UInt64 = 1
    /// SDES keys: ours from the start when we offer SRTP, else made when the peer offers it.
    private(set) var sdes: SDESKeys?

    init(address: String, port: UInt16, offersSRTP: Bool = false) {
        self.address = address
        self.port = port
        if offersSRTP { sdes = .offering() }
    }

    /// Takes the peer's keys from what it agreed (its answer to our offer, or
    /// its offer); false when its security cannot be used - DTLS, a bad key,
    /// or plain RTP in answer to our SRTP offer (no downgrade).
    mutating func adopt(_ agreed: NegotiatedAudio) -> Bool {
        switch agreed.security {
        case .none:
            return sdes == nil
        case .sdes(let crypto):
            guard let keys = sdes.map({ $0.answered(by: crypto) }) ?? SDESKeys.answering(crypto) else { return false }
            sdes = keys
            return true
        case .dtls:
            return false
        }
    }

    private mutating func parameters(_ direction: MediaDirection) -> LocalAudioParameters {
        var local = LocalAudioParameters(address: address, port: port, codecs: Self.codecs, ssrc: ssrc, cname: cname,
                                         sessionID: sessionID)
        local.direction = direction
        local.sdes = sdes.map { [$0.attribute] } ?? []
        local.sessionVersion = version
        version += 1    // every new description of the session gets a higher o= version (RFC 3264 §8)
        return local
    }

    mutating func offer(_ direction: MediaDirection = .sendrecv) -> [UInt8] {
        Array(AudioNegotiation.offer(local: parameters(direction)).text.utf8)
    }

    mutating func answer(_ offer: SessionDescription, agreed: NegotiatedAudio, direction: MediaDirection = .sendrecv)
        -> [UInt8] {
        Array(AudioNegotiation.answer(offer, agreed: agreed, local: parameters(direction)).text.utf8)
    }

    /// Reads a SIP peer's SDP (its offer, or its answer to ours).
    static func negotiate(_ body: [UInt8], isAnswer: Bool) -> (SessionDescription, NegotiatedAudio)? {
        guard !body.isEmpty, let sdp = try? SDPParser.parse(String(decoding: body, as: UTF8.self)),
              let agreed = try? AudioNegotiation.negotiate(sdp, codecs: codecs, isAnswer: isAnswer),
              agreed.remoteAddress != nil else { return nil }
        return (sdp, agreed)
    }

    /// Leg B of the bridge for what the SIP peer agreed.
    /// Before the SIP peer has answered (nil): PCMU, as we offer it first.
    func legSettings(_ agreed: NegotiatedAudio?) -> MediaBridge.LegSettings {
        MediaBridge.LegSettings.agreed(agreed, on: .other, ssrc: ssrc, requireSRTP: sdes != nil)
    }

    /// The bridge's direction toward the SIP side: the gateway sends there when
    /// it declared sending and the peer receiving, and takes what the peer
    /// sends when both declared that way round (RFC 3264 §6.1).
    static func bridgeDirection(local: MediaDirection, remote: MediaDirection) -> MediaDirection {
        let send = [.sendrecv, .sendonly].contains(local) && [.sendrecv, .recvonly].contains(remote)
        let receive = [.sendrecv, .recvonly].contains(local) && [.sendrecv, .sendonly].contains(remote)
        switch (send, receive) {
        case (true, true): return .sendrecv
        case (true, false): return .sendonly
        case (false, true): return .recvonly
        case (false, false): return .inactive
        }
    }
}

extension NegotiatedAudio.Security {
    /// Plain RTP or SDES: what the SIP leg speaks (DTLS-SRTP is the browser leg's).
    var isUsableOnSIPLeg: Bool {
        if case .dtls = self { return false }
        return true
    }
}
