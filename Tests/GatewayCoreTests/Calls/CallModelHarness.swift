import GatewayCore
import SIP
import SignalingProtocol
import Testing

/// Drives a call model on a fake clock, as the shell would: the test plays
/// the browser (client messages, its leg opening), the SIP side (requests and
/// responses as values) and the user agent's placed-call glue, and reads the
/// outputs. Nothing here opens a socket.
final class CallModelHarness {
    final class Ports: MediaPortAllocator {
        var free: [UInt16]
        init(pairs: Int) { free = (0..<pairs).map { UInt16(40000 + 2 * $0) } }
        /// The single ports (browser legs the model offers on) taken and not given back.
        var singlesTaken: Set<UInt16> = []
        private var nextSingle: UInt16 = 41000
        func acquirePair() -> UInt16? { free.isEmpty ? nil : free.removeFirst() }
        func acquire() -> UInt16? {
            defer { nextSingle += 1 }
            singlesTaken.insert(nextSingle)
            return nextSingle
        }
        func release(_ port: UInt16) {
            if port >= 41000 { singlesTaken.remove(port) } else if port % 2 == 0 { free.append(port) }
        }
    }

    static let second: UInt64 = 1_000_000
    static let server = SIPPeer(.udp, host: "192.0.2.1", port: 5060)
    static let browserOffer = """
        v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:abcd\r\n\
        a=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 \(Array(repeating: "AB", count: 32).joined(separator: ":"))\r\n\
        a=setup:actpass\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n
        """

    static let fingerprint = Array(repeating: "AB", count: 32).joined(separator: ":")
    /// The browser's offer with another direction, or (`ufrag`) from a new peer connection.
    static func browserReoffer(_ direction: String, ufrag: String = "abcd") -> String {
        browserOffer.replacingOccurrences(of: "a=sendrecv", with: "a=\(direction)")
            .replacingOccurrences(of: "a=ice-ufrag:abcd", with: "a=ice-ufrag:\(ufrag)")
    }

    /// What the shell's browser leg answers.
    static let browserAnswer = """
        v=0\r\no=- 77 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 40100 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 127.0.0.1\r\n\
        a=mid:0\r\na=ice-ufrag:gw01\r\na=ice-pwd:gatewaypasswordgatewaypa\r\na=fingerprint:sha-256 \(fingerprint)\r\n\
        a=setup:passive\r\na=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n
        """

    /// A SIP peer's audio SDP: PCMU and telephone-event at `port`.
    static func sipSDP(port: Int = 30000, direction: String = "sendrecv", version: Int = 1) -> [UInt8] {
        Array("""
            v=0\r\no=far 1 \(version) IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n\
            m=audio \(port) RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=\(direction)\r\n
            """.utf8)
    }

    var now: UInt64 = 1_000 * second
    let ports: Ports
    let model: CallModel
    /// Every output so far, and those since the last `take()`.
    private(set) var all: [CallModel.Output] = []
    private var fresh: [CallModel.Output] = []

    init(pairs: Int = 8, configure: (inout CallModel.Settings) -> Void = { _ in }) {
        ports = Ports(pairs: pairs)
        var settings = CallModel.Settings(mediaIP: "127.0.0.1", domain: "gw.test", contactHost: "192.0.2.2", contactPort: 5070,
                                          server: Self.server)
        configure(&settings)
        model = CallModel(settings: settings, ports: ports)
    }

    /// The outputs since the last call.
    @discardableResult
    func take() -> [CallModel.Output] {
        while let output = model.pollOutput() { fresh.append(output); all.append(output) }
        defer { fresh = [] }
        return fresh
    }

    func advance(_ micros: UInt64) {
        now += micros
        if let due = model.nextTimeout, due <= now { model.handleTimeout(now: now) }
    }

    // MARK: sessions

    /// A session signed in as `user`, its registration answered.
    func signIn(_ user: String, password: String = "secret", takesOffers: Bool = false) throws -> String {
        let session = try model.open(source: "198.51.100.7", takesOffers: takesOffers).get()
        model.receive(.signIn(user: user, password: password), from: session, now: now)
        model.registrationChanged(user: user, state: .registered(expires: 600), now: now)
        #expect(events(take(), session).contains { if case .signedIn = $0 { true } else { false } })
        return session
    }

    func send(_ session: String, _ call: String, _ request: CallRequest) {
        model.receive(.call(id: call, request), from: session, now: now)
    }

    // MARK: reading outputs

    func events(_ outputs: [CallModel.Output], _ session: String) -> [ServerEvent] {
        outputs.compactMap { if case .signal(session, let event) = $0 { event } else { nil } }
    }

    func responses(_ outputs: [CallModel.Output]) -> [SIPResponse] {
        outputs.compactMap { if case .respond(_, let r) = $0 { r } else { nil } }
    }

    func placed(_ outputs: [CallModel.Output]) -> OutgoingCall? {
        outputs.lazy.compactMap { if case .place(let call) = $0 { call } else { nil } }.first
    }

    func placedRequests(_ outputs: [CallModel.Output]) -> [SIPRequest] {
        outputs.compactMap { if case .sendPlaced(let r, _) = $0 { r } else { nil } }
    }

    func inDialogRequests(_ outputs: [CallModel.Output]) -> [(SIPRequest, UInt64)] {
        outputs.compactMap { if case .sendInDialog(let r, _, let id) = $0 { (r, id) } else { nil } }
    }

    func sipSides(_ outputs: [CallModel.Output]) -> [CallModel.SIPSideConfiguration] {
        outputs.compactMap { if case .configureSIPSide(_, let side) = $0 { side } else { nil } }
    }

    func ended(_ outputs: [CallModel.Output], _ session: String) -> (code: Int, cause: EndCause)? {
        events(outputs, session).lazy.compactMap { if case .ended(_, let code, _, let cause, _) = $0 { (code, cause) } else { nil } }.first
    }

    func closedMedia(_ outputs: [CallModel.Output]) -> Bool {
        outputs.contains { if case .closeMedia = $0 { true } else { false } }
    }

    // MARK: the browser's leg

    /// The shell opened every browser leg the model asked for.
    func openBrowserLegs(_ outputs: [CallModel.Output]) {
        for case .openBrowserLeg(let call, _, _, _) in outputs {
            model.browserLegOpened(call: call, answer: Self.browserAnswer, now: now)
        }
    }

    // MARK: the SIP side

    /// The user agent's glue for a placed call: the response to its INVITE (or
    /// re-INVITE) handled by the call, then the model told.
    func answerPlaced(_ call: OutgoingCall, _ code: Int, sdp: [UInt8] = [], to request: SIPRequest? = nil) {
        let response = Self.response(code, to: request ?? call.invite, sdp: sdp)
        _ = call.handle(response, now: now)
        model.placedCallChanged(call, response: response, now: now)
    }

    static func response(_ code: Int, to r: SIPRequest, sdp: [UInt8] = [], tag: String = "far") -> SIPResponse {
        var response = TransactionLayer.response(to: r, SIPStatus(code), toTag: tag)
        if code < 300 { response.headers.add("Contact", "<sip:far@192.0.2.9:5080>") }
        if !sdp.isEmpty {
            response.headers.add("Content-Type", "application/sdp")
            response.body = sdp
        }
        return response
    }

    /// A request from the SIP side, parsed as the socket would get it.
    static func request(_ method: String, to user: String = "1001", callID: String = "in-1", toTag: String? = nil,
                        cseq: Int = 1, branch: String = "z9hG4bK-1", sdp: [UInt8] = [], headers: [String] = [])
        throws -> (SIPRequest, TransactionKey) {
        var head = "\(method) sip:\(user)@192.0.2.2:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=\(branch)\r\n"
        head += "From: \"Ann \\\"A\\\" Lee\" <sip:2000@gw.test>;tag=caller\r\nTo: <sip:\(user)@gw.test>\(toTag.map { ";tag=\($0)" } ?? "")\r\n"
        head += "Call-ID: \(callID)\r\nCSeq: \(cseq) \(method)\r\nContact: <sip:2000@192.0.2.9:5080>\r\nMax-Forwards: 70\r\n"
        for line in headers { head += line + "\r\n" }
        if !sdp.isEmpty { head += "Content-Type: application/sdp\r\n" }
        head += "Content-Length: \(sdp.count)\r\n\r\n"
        guard case .request(let r) = try SIPParser.parse(Array(head.utf8) + sdp, framing: .datagram).message,
              let key = TransactionKey.server(for: r) else { throw HarnessError.notARequest }
        return (r, key)
    }

    enum HarnessError: Error { case notARequest }

    /// The tag our 1xx/2xx gave the dialog of an incoming INVITE.
    static func toTag(_ response: SIPResponse) -> String? {
        response.headers.to?.tag
    }
}
