/// Offer/answer (RFC 3264) for the one audio stream of a call leg, as an
/// endpoint that is not a browser (RFC 8829 where it applies): the gateway
/// answers a browser's or a SIP peer's offer, makes offers of its own, and
/// reads the answers to them. Video and data sections are rejected with port 0.
public struct LocalAudioParameters: Sendable {
    public var address: String
    public var port: UInt16
    public var codecs: [AudioCodec]          // in order of preference
    public var offerTelephoneEvent = true
    public var direction: MediaDirection = .sendrecv
    public var ice: (ufrag: String, pwd: String)?
    public var iceLite = true
    /// DTLS-SRTP: our fingerprint and role; nil for plain RTP or SDES.
    public var dtls: (fingerprint: Fingerprint, setup: DTLSSetup)?
    /// SDES: the crypto attributes to offer, or the one to answer with.
    public var sdes: [CryptoAttribute] = []
    public var ssrc: UInt32
    public var cname: String
    public var sessionID: String
    public var sessionVersion: UInt64 = 1
    public var candidates: [Candidate] = []

    public init(address: String, port: UInt16, codecs: [AudioCodec] = [.opus, .pcmu, .pcma], ssrc: UInt32,
                cname: String, sessionID: String) {
        self.address = address
        self.port = port
        self.codecs = codecs
        self.ssrc = ssrc
        self.cname = cname
        self.sessionID = sessionID
    }
}

/// What both sides agreed on for the audio stream.
public struct NegotiatedAudio: Equatable, Sendable {
    public enum Security: Equatable, Sendable {
        case none
        case dtls(fingerprints: [Fingerprint], remoteSetup: DTLSSetup?)
        case sdes(CryptoAttribute)
    }

    public var mid: String?
    public var codec: AudioCodec
    public var payloadType: UInt8
    public var dtmfPayloadType: UInt8?
    public var dtmfClockRate: UInt32?
    public var remoteDirection: MediaDirection
    public var remoteAddress: String?
    public var remotePort: UInt16
    public var remoteICE: ICECredentials?
    public var remoteCandidates: [Candidate]
    public var security: Security
    public var rtcpMux: Bool
    public var ptime: Int?
    /// The index of the audio section in the remote description.
    public var mediaIndex: Int
}

public struct ICECredentials: Equatable, Sendable {
    public var ufrag: String
    public var pwd: String
    public init(ufrag: String, pwd: String) {
        self.ufrag = ufrag
        self.pwd = pwd
    }
}

public enum AudioNegotiation {
    /// Reads the remote side's audio section (an offer, or an answer to our
    /// offer) against what we support. `codecs` orders the preference when we
    /// answer; for an answer the remote's first supported format wins.
    public static func negotiate(_ remote: SessionDescription, codecs: [AudioCodec],
                                 isAnswer: Bool = false) throws(SDPError) -> NegotiatedAudio {
        guard let index = remote.media.firstIndex(where: { $0.kind == "audio" && !$0.isRejected && isRTP($0.proto) })
        else { throw .notAcceptable("no audio section with an RTP profile") }
        let m = remote.media[index]
        let maps = m.rtpMaps
        func codecPT(_ codec: AudioCodec) -> UInt8? {
            for f in m.formats {
                guard let pt = UInt8(f) else { continue }
                if let map = maps.first(where: { $0.payloadType == pt }) {
                    if codec.matches(map) { return pt }
                } else if pt == codec.staticPayloadType {
                    return pt
                }
            }
            return nil
        }
        let order: [AudioCodec]
        if isAnswer {
            order = m.formats.compactMap { f in codecs.first { codecPT($0) == UInt8(f) } }
        } else {
            order = codecs
        }
        guard let codec = order.first(where: { codecPT($0) != nil }), let pt = codecPT(codec) else {
            throw .notAcceptable("no common audio codec in \(m.formats)")
        }
        let events = maps.filter { $0.name.lowercased() == "telephone-event" }
        let dtmf = events.first { $0.clockRate == codec.clockRate } ?? events.first { $0.clockRate == 8000 }
            ?? events.first

        let security: NegotiatedAudio.Security
        let fingerprints = remote.fingerprints(in: m)
        if m.proto.contains("SAVP") {
            if !fingerprints.isEmpty {
                security = .dtls(fingerprints: fingerprints, remoteSetup: remote.setup(in: m))
            } else if let crypto = m.cryptos.first(where: { SRTPSuite(rawValue: $0.suite) != nil && $0.inlineKey != nil }) {
                security = .sdes(crypto)
            } else {
                throw .notAcceptable("secure profile \(m.proto) without a usable fingerprint or crypto")
            }
        } else {
            security = .none
        }
        var ice: ICECredentials?
        if let ufrag = remote.attribute("ice-ufrag", in: m), let pwd = remote.attribute("ice-pwd", in: m) {
            ice = ICECredentials(ufrag: ufrag, pwd: pwd)
        }
        return NegotiatedAudio(
            mid: m.mid, codec: codec, payloadType: pt, dtmfPayloadType: dtmf?.payloadType,
            dtmfClockRate: dtmf?.clockRate, remoteDirection: m.direction,
            remoteAddress: (m.connection ?? remote.connection)?.address, remotePort: m.port,
            remoteICE: ice, remoteCandidates: m.candidates, security: security,
            rtcpMux: m.attributes.has("rtcp-mux"), ptime: m.attributes.first("ptime").flatMap { Int($0) },
            mediaIndex: index)
    }

    /// Our answer to `offer`, given what `negotiate` agreed.
    public static func answer(_ offer: SessionDescription, agreed: NegotiatedAudio,
                              local: LocalAudioParameters) -> SessionDescription {
        var media: [MediaDescription] = []
        for (i, m) in offer.media.enumerated() {
            guard i == agreed.mediaIndex else {
                var rejected = MediaDescription(kind: m.kind, port: 0, proto: m.proto, formats: m.formats)
                if let mid = m.mid { rejected.attributes.append(Attribute("mid", mid)) }
                media.append(rejected)
                continue
            }
            let offered = offer.media[i]
            var answer = audioSection(local: local, proto: offered.proto, codec: agreed.codec, payloadType: agreed.payloadType,
                                      dtmf: agreed.dtmfPayloadType.map { ($0, agreed.dtmfClockRate ?? 8000) },
                                      direction: answerDirection(offered: agreed.remoteDirection, local: local.direction),
                                      mid: agreed.mid, rtcpMux: agreed.rtcpMux,
                                      rtcpRsize: offered.attributes.has("rtcp-rsize"))
            if case .dtls = agreed.security, let dtls = local.dtls {
                answer.attributes.append(Attribute("setup", dtls.setup.rawValue))
            }
            media.append(answer)
        }
        var session = sessionHeader(local: local)
        if !offer.bundle.isEmpty, let mid = agreed.mid {
            session.attributes.append(Attribute("group", "BUNDLE \(mid)"))
        }
        session.media = media
        return session
    }

    /// An offer of one audio section with every codec we support.
    public static func offer(local: LocalAudioParameters, secureProfile: String? = nil) -> SessionDescription {
        var session = sessionHeader(local: local)
        let proto = secureProfile ?? (local.dtls != nil ? "UDP/TLS/RTP/SAVPF" : local.sdes.isEmpty ? "RTP/AVP" : "RTP/SAVP")
        var m = audioSection(local: local, proto: proto, codecs: local.codecs,
                             dtmf: local.offerTelephoneEvent, direction: local.direction)
        if let dtls = local.dtls { m.attributes.append(Attribute("setup", dtls.setup.rawValue)) }
        if local.dtls != nil || local.ice != nil { session.attributes.append(Attribute("group", "BUNDLE 0")) }
        session.media = [m]
        return session
    }

    static func isRTP(_ proto: String) -> Bool {
        ["RTP/AVP", "RTP/AVPF", "RTP/SAVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF"].contains(proto)
    }

    static func answerDirection(offered: MediaDirection, local: MediaDirection) -> MediaDirection {
        let canSend = offered == .sendrecv || offered == .recvonly
        let canReceive = offered == .sendrecv || offered == .sendonly
        let wantSend = local == .sendrecv || local == .sendonly
        let wantReceive = local == .sendrecv || local == .recvonly
        switch (canSend && wantSend, canReceive && wantReceive) {
        case (true, true): return .sendrecv
        case (true, false): return .sendonly
        case (false, true): return .recvonly
        case (false, false): return .inactive
        }
    }
}
