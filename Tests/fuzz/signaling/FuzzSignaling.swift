import GatewayCore
import SignalingProtocol
import SIP

/// libFuzzer target for what the signaling transports read: the whole input
/// as a WebSocket text frame (decoded into a client message) and as a
/// long-poll POST body (a message word, translated from the Genesys dialect);
/// its first line as an HTTP request target (path and query). No crash; a
/// decoded message survives encode -> decode; a parsed word survives
/// serialise -> parse; what the gateway would send back from the content
/// parses as a word again. A decoded sign-in goes through the session table
/// (the call model's own decisions on it), and its events through a
/// long-poll client's queue, whose bounds must hold. A decoded call request
/// goes through the call model from a signed-in session: on a new call, on a
/// ringing incoming call and on an answered placed call.
public func fuzzSignaling(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let fields = FormEncoding.fields(String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self))
    if fields.count > FormEncoding.maxPairs { fatalError("the form's bound did not hold") }
    if let text = String(validating: bytes, as: UTF8.self) {
        _ = SignalingToken.isUser(text)
        _ = SignalingToken.isNumber(text)
        _ = SignalingToken.isDTMF(text)
    }
    if let message = try? ClientMessage(decoding: bytes) {
        guard (try? ClientMessage(decoding: Array(JSONValue.object(message.object).jsonText.utf8))) == message else {
            fatalError("a decoded message did not survive encode -> decode")
        }
        if case .call(let id, .info(let content, let map)) = message { echo(.info(call: id ?? "", content: content, map: map)) }
        signIn(message)
        callModel(message)
    }
    guard let word = try? LongPollMessage(parsing: bytes) else { return 0 }
    guard let again = try? LongPollMessage(parsing: Array(word.text.utf8)), again == word else {
        fatalError("a parsed message did not survive serialise -> parse")
    }
    var dialect = GenesysDialect()
    _ = dialect.words(for: .incoming(call: "in", from: "2000", fromName: nil))
    for peer in ["2000", "other"] {
        let request = dialect.request(for: word, peer: peer, standing: { _ in .init(ringing: true, incoming: true) },
                                      newCallID: { "new" })
        if case .message(.call(let id, .info(let content, let map))) = request {
            echo(.info(call: id ?? "", content: content, map: map))
        }
        if case .message(let message) = request {
            signIn(message)
            callModel(message)
        }
    }
    return 0
}

/// A message as the session table takes it, twice from one address (the
/// second is in use, or locked out) and once for a configured account; each
/// event it sends goes through a long-poll client's queue in both dialects.
private func signIn(_ message: ClientMessage) {
    guard case .signIn(let user, let password) = message else { return }
    var settings = SessionTable.Settings()
    settings.accounts = ["gw": "secret"]
    var table = SessionTable(settings: settings)
    var queue = LongPollQueue(now: 0, expiry: 30_000_000)
    var dialect = GenesysDialect()
    for (id, now) in [("a", UInt64(0)), ("b", 1), ("c", 2)] {
        guard table.open(id: id, source: "192.0.2.1") == nil else { fatalError("a session under the bounds was refused") }
        table.signIn(id, user: id == "c" ? "gw" : user, password: password, now: now)
        if let user { table.registration(of: user, .registered, now: now) }
        table.handleTimeout(now: now + 20_000_000)
        while let output = table.pollOutput() {
            guard case .signal(let session, let event) = output else { continue }
            guard table[session] != nil else { fatalError("an event for a session that is not open") }
            guard queue.push(dialect.words(for: event)), queue.push([("", LongPollMessage(.json, event.object))]) else {
                fatalError("a handful of events overflowed the queue")
            }
        }
    }
    if table.signedInUsers > table.count { fatalError("more users signed in than sessions") }
}

private final class Ports: MediaPortAllocator {
    private var next: UInt16 = 40000
    func acquirePair() -> UInt16? {
        guard next < 40010 else { return nil }
        defer { next += 2 }
        return next
    }
    func acquire() -> UInt16? { acquirePair() }
    func release(_ port: UInt16) {}
}

private let incomingInvite: SIPRequest? = {
    let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\n"
    let text = "INVITE sip:1001@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\r\n"
        + "From: <sip:2000@gw.test>;tag=a\r\nTo: <sip:1001@gw.test>\r\nCall-ID: in-1\r\nCSeq: 1 INVITE\r\n"
        + "Contact: <sip:2000@192.0.2.9>\r\nContent-Type: application/sdp\r\nContent-Length: \(sdp.utf8.count)\r\n\r\n" + sdp
    guard case .request(let r)? = try? SIPParser.parse(Array(text.utf8), framing: .datagram).message else { return nil }
    return r
}()

/// A message of a signed-in session through the call model, as itself and
/// aimed at a ringing incoming call and at an answered placed call; the
/// browser legs open, the far end answers. Each session's calls stay within
/// the bound, events go only to the open session, and the ring timeout ends
/// every call still ringing.
private func callModel(_ message: ClientMessage) {
    guard case .call(let id, let request) = message, let invite = incomingInvite,
          let inviteKey = TransactionKey.server(for: invite) else { return }
    let model = CallModel(settings: .init(mediaIP: "127.0.0.1", domain: "gw.test", contactHost: "127.0.0.1", contactPort: 5070,
                                          server: SIPPeer(.udp, host: "127.0.0.1", port: 5060)),
                          ports: Ports())
    guard case .success(let session) = model.open(source: "192.0.2.1") else { fatalError("the first session was refused") }
    model.receive(.signIn(user: "1001", password: "pw"), from: session, now: 0)
    model.registrationChanged(user: "1001", state: .registered(expires: 600), now: 0)
    guard model.incomingInvite(invite, key: inviteKey, from: SIPPeer(.udp, host: "192.0.2.1", port: 5060), now: 1) else {
        fatalError("the INVITE for a signed-in user was not taken")
    }
    model.receive(.call(id: "out", .place(to: "2000", sdp: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n")), from: session, now: 2)
    drive(model, session: session, now: 3)
    let ringing = model.calls(of: session).first { $0.direction == .incoming }?.id ?? ""
    for (n, target) in [id, ringing, "out"].enumerated() {
        model.receive(.call(id: target, request), from: session, now: 10 + UInt64(n))
        drive(model, session: session, now: 10 + UInt64(n))
        if model.calls(of: session).count > model.settings.maxCallsPerSession { fatalError("over the calls a session may hold") }
    }
    model.handleTimeout(now: model.settings.ringTimeout + 20)
    drive(model, session: session, now: model.settings.ringTimeout + 20)
    if model.calls(of: session).contains(where: { $0.phase == .ringing || $0.phase == .calling || $0.phase == .offering }) {
        fatalError("a call still rings after the ring timeout")
    }
}

/// What the shell and the far end do with the model's outputs: browser legs open, placed calls are answered.
private func drive(_ model: CallModel, session: String, now: UInt64) {
    var rounds = 0
    while let output = model.pollOutput() {
        rounds += 1
        if rounds > 10_000 { fatalError("the model does not settle") }
        switch output {
        case .signal(let to, _) where to != session: fatalError("an event for another session")
        case .openBrowserLeg(let call, _, _, _): model.browserLegOpened(call: call, answer: "v=0", now: now)
        case .place(let placed):
            var ok = TransactionLayer.sdpAnswer(to: placed.invite, contact: SIPURI(user: "2000", host: "192.0.2.9"),
                                                sdp: Array("v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\n".utf8),
                                                toTag: "far")
            ok.headers.set("Contact", "<sip:2000@192.0.2.9>")
            _ = placed.handle(ok, now: now)
            model.placedCallChanged(placed, response: ok, now: now)
        case .sendInDialog(let request, _, let id):
            model.requestAnswered(id, response: TransactionLayer.response(to: request, .ok), now: now)
        default: break
        }
    }
}

/// The words an event with content from the wire becomes must parse as words again (the browser reads
/// them), and read back as themselves (form-encoded words carry every value as text, so the word's own
/// text is what must survive; past the parser's bound on pairs it reads fewer).
private func echo(_ event: ServerEvent) {
    var dialect = GenesysDialect()
    for (_, word) in dialect.words(for: event) where word.text.utf8.count <= LongPollMessage.maxLength {
        guard let again = try? LongPollMessage(parsing: Array(word.text.utf8)) else { fatalError("a word we send does not parse") }
        if (word.object?.count ?? 0) <= FormEncoding.maxPairs, again.text != word.text {
            fatalError("a word we send does not read back as itself")
        }
    }
}
