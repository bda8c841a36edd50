#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import GatewayCore
import SignalingProtocol

/// libFuzzer target for what the signaling transports read: the whole input
/// as a WebSocket text frame (decoded into a client message) and as a
/// long-poll POST body (a message word, translated from the Genesys dialect);
/// its first line as an HTTP request target (path and query). No crash; a
/// decoded message survives encode -> decode; a parsed word survives
/// serialise -> parse; what the gateway would send back from the content
/// parses as a word again. A decoded sign-in goes through the session table
/// (the call model's own decisions on it), and its events through a
/// long-poll client's queue, whose bounds must hold.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSignaling(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let target = RequestTarget(parsing: String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self))
    if target.query.count > RequestTarget.maxQueryPairs { fatalError("the query's bound did not hold") }
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
        if case .message(let message) = request { signIn(message) }
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

/// The words an event with content from the wire becomes must parse as words again (the browser reads them).
private func echo(_ event: ServerEvent) {
    var dialect = GenesysDialect()
    for (_, word) in dialect.words(for: event) where word.text.utf8.count <= LongPollMessage.maxLength {
        guard (try? LongPollMessage(parsing: Array(word.text.utf8))) == word else { fatalError("a word we send does not parse") }
    }
}

@main
enum Main {
    static func main() throws {
        #if FUZZING
        exit(runLibFuzzer { fuzzSignaling($0, $1) })
        #else
        for path in CommandLine.arguments.dropFirst() {
            let bytes = try readFile(path)
            _ = bytes.withUnsafeBufferPointer { fuzzSignaling($0.baseAddress!, $0.count) }
        }
        #endif
    }
}
