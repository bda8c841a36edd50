/// The lines of our own audio sections, shared by offers and answers.
extension AudioNegotiation {
    static func sessionHeader(local: LocalAudioParameters) -> SessionDescription {
        let addressType = local.address.contains(":") ? "IP6" : "IP4"
        var session = SessionDescription(
            origin: Origin(username: "-", sessionID: local.sessionID, sessionVersion: local.sessionVersion,
                           addressType: addressType, address: local.address),
            sessionName: "-", connection: Connection(addressType: addressType, address: local.address))
        if local.ice != nil && local.iceLite { session.attributes.append(Attribute("ice-lite")) }
        return session
    }

    static func audioSection(local: LocalAudioParameters, proto: String, codec: AudioCodec, payloadType: UInt8,
                             dtmf: (UInt8, UInt32)?, direction: MediaDirection, mid: String?, rtcpMux: Bool,
                             rtcpRsize: Bool) -> MediaDescription {
        var m = MediaDescription(kind: "audio", port: local.port, proto: proto, formats: [String(payloadType)])
        if let dtmf { m.formats.append(String(dtmf.0)) }
        if let mid { m.attributes.append(Attribute("mid", mid)) }
        appendTransport(&m, local: local, rtcpMux: rtcpMux, rtcpRsize: rtcpRsize)
        appendCodec(&m, codec: codec, payloadType: payloadType)
        if let dtmf { appendTelephoneEvent(&m, payloadType: dtmf.0, clockRate: dtmf.1) }
        m.attributes.append(Attribute(direction.rawValue))
        if let crypto = local.sdes.first { m.attributes.append(Attribute("crypto", crypto.text)) }
        m.attributes.append(Attribute("ssrc", "\(local.ssrc) cname:\(local.cname)"))
        return m
    }

    static func audioSection(local: LocalAudioParameters, proto: String, codecs: [AudioCodec], dtmf: Bool,
                             direction: MediaDirection) -> MediaDescription {
        var m = MediaDescription(kind: "audio", port: local.port, proto: proto,
                                 formats: codecs.map { String($0.preferredPayloadType) })
        let events: [(UInt8, UInt32)] = !dtmf ? [] : codecs.contains(.opus) ? [(126, 48000), (101, 8000)] : [(101, 8000)]
        m.formats += events.map { String($0.0) }
        if local.ice != nil || local.dtls != nil { m.attributes.append(Attribute("mid", "0")) }
        appendTransport(&m, local: local, rtcpMux: true, rtcpRsize: false)
        for c in codecs { appendCodec(&m, codec: c, payloadType: c.preferredPayloadType) }
        for e in events { appendTelephoneEvent(&m, payloadType: e.0, clockRate: e.1) }
        m.attributes.append(Attribute(direction.rawValue))
        for crypto in local.sdes { m.attributes.append(Attribute("crypto", crypto.text)) }
        m.attributes.append(Attribute("ssrc", "\(local.ssrc) cname:\(local.cname)"))
        return m
    }

    private static func appendTransport(_ m: inout MediaDescription, local: LocalAudioParameters, rtcpMux: Bool,
                                        rtcpRsize: Bool) {
        if let ice = local.ice {
            m.attributes.append(Attribute("ice-ufrag", ice.ufrag))
            m.attributes.append(Attribute("ice-pwd", ice.pwd))
        }
        if let dtls = local.dtls {
            m.attributes.append(Attribute("fingerprint", "\(dtls.fingerprint.algorithm) \(dtls.fingerprint.value)"))
        }
        if rtcpMux { m.attributes.append(Attribute("rtcp-mux")) }
        if rtcpRsize { m.attributes.append(Attribute("rtcp-rsize")) }
        for c in local.candidates { m.attributes.append(Attribute("candidate", c.value)) }
        if local.ice != nil { m.attributes.append(Attribute("end-of-candidates")) }
    }

    private static func appendCodec(_ m: inout MediaDescription, codec: AudioCodec, payloadType: UInt8) {
        m.attributes.append(Attribute("rtpmap", RTPMap(payloadType: payloadType, name: codec.encodingName,
                                                       clockRate: codec.clockRate, channels: codec.channels).value))
        if codec == .opus {
            m.attributes.append(Attribute("fmtp", "\(payloadType) minptime=10;useinbandfec=1"))
        }
    }

    private static func appendTelephoneEvent(_ m: inout MediaDescription, payloadType: UInt8, clockRate: UInt32) {
        m.attributes.append(Attribute("rtpmap", "\(payloadType) telephone-event/\(clockRate)"))
        m.attributes.append(Attribute("fmtp", "\(payloadType) 0-16"))
    }
}

extension CryptoAttribute {
    public var text: String { "\(tag) \(suite) \(keyParams)" }

    public init(tag: Int, suite: SRTPSuite, key: [UInt8]) {
        self.init(tag: tag, suite: suite.rawValue, keyParams: "inline:" + Base64.encode(key))
    }
}
