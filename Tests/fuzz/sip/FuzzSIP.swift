import SIP

/// libFuzzer target for one SIP datagram as the socket hands it over: the
/// embedded server's choice of event loop by its Call-ID, the parser (both framings), the request checks, then the decisions the SIP
/// cores take on it with a fake clock: the transaction layer, the endpoint
/// (OPTIONS, the registrar), the embedded proxy's routing, the UAS call core
/// (session timers, dialogs, ACK), and for responses the UAC cores that await
/// them (a placed call, a registration), each run to its far timers. No crash,
/// and serialising is idempotent after one parse.
public func fuzzSIP(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard (0..<3).contains(CallIDShard.of(bytes, among: 3)) else { fatalError("a shard out of range") }
    _ = try? SIPParser.parse(bytes, framing: .stream)
    guard let (message, _) = try? SIPParser.parse(bytes, framing: .datagram) else { return 0 }
    for v in message.headers.values("Via") { _ = try? Via(parsing: v) }
    for name in ["From", "To", "Contact", "Route"] { for v in message.headers.values(name) { _ = try? NameAddress(parsing: v) } }
    let once = message.bytes
    guard let (again, _) = try? SIPParser.parse(once, framing: .stream), again.bytes == once else {
        fatalError("a parsed message did not survive serialise -> parse -> serialise")
    }
    let peer = SIPPeer(.udp, host: "192.0.2.9", port: 5060)
    for now in [UInt64(0), UInt64.max / 2] {
        switch message {
        case .request(let request): decide(request, from: peer, now: now)
        case .response(let response): awaitResponse(response, now: now)
        }
    }
    return 0
}

/// What the gateway's and the embedded server's cores decide on a request.
private func decide(_ request: SIPRequest, from peer: SIPPeer, now: UInt64) {
    let transactions = TransactionLayer()
    _ = transactions.receive(.request(request), from: peer, now: now)
    _ = transactions.poll(now: now &+ 64_000_000)
    let registrar = Registrar()
    let endpoint = EndpointCore(registrar: registrar, makeTag: { "tag" })
    _ = endpoint.answer(request, from: peer, now: now)
    let proxy = StatelessProxy(host: "127.0.0.1", port: 5060, domain: "127.0.0.1", localUsers: ["echo"])
    _ = proxy.route(request, registrar: registrar, now: now)
    guard RequestValidator().validate(request) == nil, request.method == "INVITE" || request.method == "UPDATE" else { return }
    let timer = InviteServerCore.sessionTimer(for: request)
    let calls = InviteServerCore()
    guard let dialog = calls.open(request, from: peer, localTag: "us") else { return }
    if let seconds = timer.interval { calls.runSessionTimer(dialog.id, seconds: seconds, now: now) }
    calls.sent2xx(TransactionLayer.response(to: request, .ok, toTag: "us"), dialogID: dialog.id, now: now)
    calls.noteRequest(request)
    _ = calls.ack(request)
    for later in [now, now &+ 500_000, now &+ 90_000_000, UInt64.max] { _ = calls.poll(now: later) }
    _ = calls.nextTimeout
}

/// What the cores waiting for a response make of it: the response is made to
/// match their request (Call-ID, CSeq, Via) and keeps everything else.
private func awaitResponse(_ response: SIPResponse, now: UInt64) {
    guard let from = try? SIPURI(parsing: "sip:1001@example.com"), let to = try? SIPURI(parsing: "sip:2000@192.0.2.9"),
          let contact = try? SIPURI(parsing: "sip:1001@192.0.2.1:5060") else { return }
    let credentials = DigestCredentials(username: "1001", password: "secret")
    let call = OutgoingCall(settings: .init(from: from, to: to, contact: contact, credentials: credentials,
                                            via: ("UDP", "192.0.2.1", 5060)),
                            offer: Array("v=0\r\n".utf8), token: { "t" })
    let reply = matching(response, to: call.invite)
    _ = call.handle(reply, now: now)
    _ = call.handle(reply, now: now)
    for later in [now &+ 45_000_000, UInt64.max] { _ = call.poll(now: later) }
    _ = call.byeChallenged(reply)
    _ = call.reinvite(offer: [])
    _ = call.bye()

    let registration = RegistrationClient(account: .init(aor: from, registrar: to, contact: contact, credentials: credentials,
                                                         via: ("UDP", "192.0.2.1", 5060)), token: { "r" })
    let register = registration.start(now: now)
    _ = registration.handle(matching(response, to: register), now: now)
    _ = registration.poll(now: UInt64.max)
    _ = StatelessProxy(host: "127.0.0.1", port: 5060, domain: "127.0.0.1", localUsers: []).route(response)
}

private func matching(_ response: SIPResponse, to request: SIPRequest) -> SIPResponse {
    var reply = response
    for name in ["Call-ID", "CSeq", "Via", "From"] {
        reply.headers.remove(name)
        for value in request.headers.values(name) { reply.headers.add(name, value) }
    }
    return reply
}
